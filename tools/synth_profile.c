/*
 * synth_profile.c - write a synthetic .pyro profile of a chosen size, for
 * benchmarks (1,000,000 samples over 100,000 distinct stacks) and for tests
 * that need names no real program would record (markup, ';', newlines,
 * non-ASCII). Deterministic for a given seed.
 *
 * usage: synth-profile OUT.pyro [--samples N] [--stacks N] [--threads N]
 *                      [--functions N] [--seed N] [--persist K] [--hostile]
 *
 * Stacks grow as a random trie: each new stack extends an existing one (or
 * starts a root), so depths spread like a real program's. Samples pick
 * stacks with a skewed distribution so a few stacks are hot, and walk time
 * forward by 1 ms per round. With --persist K a thread keeps its stack for
 * K rounds on average, as a real program does (consecutive samples of a
 * thread mostly share their stack); the default, 1, draws a new stack for
 * every sample: the worst case for formats that follow time (chrome).
 */
#include "profile/profile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *const hostile[] = {
	"<img src=x onerror=alert(1)>",
	"</script><script>alert(2)</script>",
	"semi;colon",
	"new\nline",
	"quote\"and\\back",
	"caf\xc3\xa9_\xe6\x97\xa5\xe6\x9c\xac",
	"amp&lt;entity",
	"line\xe2\x80\xa8sep",
};

static int usage(void)
{
	fprintf(stderr, "usage: synth-profile OUT.pyro [--samples N] [--stacks N] [--threads N] "
			"[--functions N] [--seed N] [--persist K] [--hostile]\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t nsamples = 1000000, nstacks = 100000, nthreads = 4, nfns = 2000, seed = 1, persist = 1;
	uint64_t *current = NULL;
	int hostile_names = 0, i;
	const char *out = NULL;
	struct pyro_writer w;
	struct pyro_header h;
	struct pyro_end end;
	uint32_t *frame_ids = NULL, *stack_ids = NULL, *thread_ids = NULL;
	uint64_t s, t = 0;
	char *args[] = { "python3", "synthetic.py" };

	for (i = 1; i < argc; i++) {
		uint64_t *dst = NULL;

		if (!strcmp(argv[i], "--samples"))
			dst = &nsamples;
		else if (!strcmp(argv[i], "--stacks"))
			dst = &nstacks;
		else if (!strcmp(argv[i], "--threads"))
			dst = &nthreads;
		else if (!strcmp(argv[i], "--functions"))
			dst = &nfns;
		else if (!strcmp(argv[i], "--seed"))
			dst = &seed;
		else if (!strcmp(argv[i], "--persist"))
			dst = &persist;
		else if (!strcmp(argv[i], "--hostile"))
			hostile_names = 1;
		else if (argv[i][0] != '-' && !out)
			out = argv[i];
		else
			return usage();
		if (dst) {
			if (++i >= argc)
				return usage();
			*dst = strtoull(argv[i], NULL, 10);
		}
	}
	if (!out || !nstacks || !nthreads || !nfns || !persist || nstacks > PYRO_MAX_TABLE)
		return usage();
	rng_state = seed;
	memset(&h, 0, sizeof(h));
	h.producer = "synth-profile";
	h.python_version = "3.12.1";
	h.argv = args;
	h.argc = 2;
	h.pid = 4242;
	h.start_ns = 1700000000000000000ull;
	h.mode = PYRO_MODE_WALL;
	h.rate_hz = 1000;
	if (pyro_writer_open(&w, out, &h) < 0) {
		fprintf(stderr, "synth-profile: cannot create %s\n", out);
		return 1;
	}
	frame_ids = calloc(nfns * 4, sizeof(*frame_ids));
	stack_ids = calloc(nstacks, sizeof(*stack_ids));
	thread_ids = calloc(nthreads, sizeof(*thread_ids));
	current = calloc(nthreads, sizeof(*current));
	if (!current || !frame_ids || !stack_ids || !thread_ids)
		return 1;
	/* Four lines per function. */
	for (s = 0; s < nfns * 4; s++) {
		char name[96], file[64];
		struct pyro_frame f;
		uint64_t fn = s / 4;

		if (hostile_names && fn < sizeof(hostile) / sizeof(hostile[0]))
			snprintf(name, sizeof(name), "%s", hostile[fn]);
		else
			snprintf(name, sizeof(name), "func_%" PRIu64, fn);
		snprintf(file, sizeof(file), "/app/module_%" PRIu64 ".py", fn % 97);
		f.name = pyro_writer_string(&w, name, strlen(name));
		f.file = pyro_writer_string(&w, file, strlen(file));
		f.first_line = (int32_t)(10 * fn + 1);
		f.line = f.first_line + 1 + (int32_t)(s % 4);
		f.kind = PYRO_FRAME_PYTHON;
		frame_ids[s] = pyro_writer_frame(&w, &f);
	}
	for (s = 0; s < nthreads; s++) {
		struct pyro_thread th = { 1000 + s, 0x7f0000000000ull + s * 0x1000, PYRO_NO_ID, 0 };

		thread_ids[s] = pyro_writer_thread(&w, &th);
	}
	/* Roots use the first 16 functions; others extend a random earlier stack
	 * with a different frame, so every stack is distinct. */
	for (s = 0; s < nstacks; s++) {
		uint32_t parent = PYRO_NO_ID;
		uint64_t fr;

		if (s >= 16 || s >= nfns * 4)
			parent = stack_ids[rnd() % s];
		fr = s < 16 ? s % (nfns * 4) : rnd() % (nfns * 4);
		stack_ids[s] = pyro_writer_stack(&w, parent, frame_ids[fr]);
	}
	for (s = 0; s < nsamples; s++) {
		struct pyro_sample sm;
		uint64_t r = rnd();
		/* Skew: half the samples on 1% of the stacks. */
		uint64_t st = (r & 1) ? (r >> 1) % (nstacks / 100 + 1) : (r >> 1) % nstacks;

		if (s >= nthreads && rnd() % persist != 0)
			st = current[s % nthreads];
		current[s % nthreads] = st;
		sm.thread = thread_ids[s % nthreads];
		sm.stack = stack_ids[st];
		if (s % nthreads == 0)
			t += 1000000;
		sm.time_ns = t;
		sm.weight_ns = 1000000;
		pyro_writer_sample(&w, &sm);
		if (s % 65536 == 65535 && pyro_writer_flush(&w) < 0)
			break;
	}
	memset(&end, 0, sizeof(end));
	end.present = 1;
	end.ticks = nsamples / nthreads;
	end.duration_ns = t;
	end.exit_status = 1;
	if (pyro_writer_close(&w, &end) < 0) {
		fprintf(stderr, "synth-profile: cannot write %s\n", out);
		return 1;
	}
	pyro_writer_release(&w);
	free(frame_ids);
	free(stack_ids);
	free(thread_ids);
	free(current);
	return 0;
}
