/* libFuzzer target: the .pyro reader, and every renderer on what it accepts. */
#include "profile/profile.h"
#include "render/render.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "text", "tree", "lines", "html", "speedscope", "pstats",
					     "pprof", "collapsed", "chrome", "json" };
	struct pyro_render_opts o = { 10, 0.5, "before", "after" };
	struct pyro_profile p;
	struct pyro_view v;
	FILE *sink;
	size_t i;

	if (pyro_profile_parse(data, size, &p) < 0)
		return 0;
	sink = fopen("/dev/null", "w");
	if (sink && pyro_view_init(&v, &p) == 0) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			pyro_render_find(names[i], NULL)(&v, &o, sink);
		pyro_render_diff_text(&v, &v, &o, sink);
		pyro_render_diff_json(&v, &v, &o, sink);
		pyro_render_diff_html(&v, &v, &o, sink);
		pyro_view_release(&v);
	}
	if (sink)
		fclose(sink);
	pyro_profile_release(&p);
	return 0;
}
