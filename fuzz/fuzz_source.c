/* libFuzzer target: source files as `lines` (and text) read them. The input
 * after its first 8 bytes is the source file; those bytes choose the
 * function's first line and the sampled lines, so the listing's range,
 * indentation and folding logic meet any file, short or long. */
#include "render/render.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pyro_render_opts o = { 10, 0.5, NULL, NULL };
	char path[64], name[] = "f";
	char *strings[2] = { name, path };
	uint32_t lens[2];
	struct pyro_frame frames[3];
	struct pyro_stack stacks[3];
	struct pyro_thread thread = { 1, 1, PYRO_NO_ID, 0 };
	struct pyro_sample samples[3];
	struct pyro_profile p;
	struct pyro_view v;
	FILE *sink;
	int fd, k;

	if (size < 8)
		return 0;
	fd = memfd_create("source", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data + 8, size - 8) != (ssize_t)(size - 8))
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	lens[0] = 1;
	lens[1] = (uint32_t)strlen(path);
	pyro_profile_init(&p);
	p.strings = strings;
	p.string_len = lens;
	p.nstrings = 2;
	/* One function (first line from bytes 0-1) at three lines, nested. */
	for (k = 0; k < 3; k++) {
		frames[k] = (struct pyro_frame){ 0, 1, (int8_t)data[0] * 256 + data[1],
						 (int16_t)(data[2 + 2 * k] << 8 | data[3 + 2 * k]), 0 };
		stacks[k] = (struct pyro_stack){ k ? (uint32_t)k - 1 : PYRO_NO_ID, (uint32_t)k };
		samples[k] = (struct pyro_sample){ 0, (uint32_t)k, (uint64_t)k + 1, 1000 };
	}
	p.frames = frames;
	p.nframes = 3;
	p.stacks = stacks;
	p.nstacks = 3;
	p.threads = &thread;
	p.nthreads = 1;
	p.samples = samples;
	p.nsamples = 3;
	sink = fopen("/dev/null", "w");
	if (sink && pyro_view_init(&v, &p) == 0) {
		pyro_render_lines(&v, &o, sink);
		pyro_render_text(&v, &o, sink);
		pyro_view_release(&v);
	}
	if (sink)
		fclose(sink);
	/* The tables are on the stack: nothing for pyro_profile_release. */
out:
	close(fd);
	return 0;
}
