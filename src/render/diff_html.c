/* diff_html.c - placeholder while the differential flame graph is written. */
#include "render/render.h"
#include "util/err.h"

#include <errno.h>

int pyro_render_diff_html(const struct pyro_view *before, const struct pyro_view *after,
			  const struct pyro_render_opts *o, FILE *out)
{
	(void)before;
	(void)after;
	(void)o;
	(void)out;
	return pyro_err_set(ENOSYS, "the html diff is not written yet");
}
