/* libFuzzer target: the .pyro reader, and the text and collapsed renderers on what it accepts. */
#include "profile/profile.h"
#include "render/render.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pyro_profile p;
	FILE *sink;

	if (pyro_profile_parse(data, size, &p) < 0)
		return 0;
	sink = fopen("/dev/null", "w");
	if (sink) {
		pyro_render_text(&p, NULL, sink);
		pyro_render_collapsed(&p, sink);
		fclose(sink);
	}
	pyro_profile_release(&p);
	return 0;
}
