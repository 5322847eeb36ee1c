/* pprof.c - placeholder while the pprof format is written. */
#include "render/render.h"
#include "util/err.h"

#include <errno.h>

int pyro_render_pprof(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	(void)v;
	(void)o;
	(void)out;
	return pyro_err_set(ENOSYS, "the pprof format is not written yet");
}
