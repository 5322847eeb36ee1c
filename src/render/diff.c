/* placeholder */
#include "render/render.h"
#include "util/err.h"
#include <errno.h>
int pyro_render_diff_text(const struct pyro_view *b, const struct pyro_view *a, const struct pyro_render_opts *o, FILE *out)
{ (void)b; (void)a; (void)o; (void)out; return pyro_err_set(ENOSYS, "not yet"); }
int pyro_render_diff_json(const struct pyro_view *b, const struct pyro_view *a, const struct pyro_render_opts *o, FILE *out)
{ (void)b; (void)a; (void)o; (void)out; return pyro_err_set(ENOSYS, "not yet"); }
