/* tree.c - placeholder while the tree format is written. */
#include "render/render.h"
#include "util/err.h"

#include <errno.h>

int pyro_render_tree(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	(void)v;
	(void)o;
	(void)out;
	return pyro_err_set(ENOSYS, "the tree format is not written yet");
}
