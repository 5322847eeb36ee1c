/* Unit tests for the .pyro writer and reader: round trip, streaming,
 * truncation and corruption. */
#include "check.h"
#include "profile/profile.h"
#include "util/err.h"

#include <fcntl.h>
#include <sys/stat.h>

static char path[64];

static void write_sample_file(int close_it)
{
	struct pyro_writer w;
	struct pyro_header h;
	char *argv[] = { "python3", "app.py", NULL };
	struct pyro_frame f = { 0 };
	struct pyro_thread th = { 4242, 77, PYRO_NO_ID };
	struct pyro_sample s;
	struct pyro_end end = { 1, 3, 1, 3000000, 1 };
	uint32_t root, leaf, t;

	snprintf(path, sizeof(path), "/tmp/pyro-unit-%d.pyro", (int)getpid());
	memset(&h, 0, sizeof(h));
	h.producer = "pyrometer test";
	h.python_version = "3.12.1";
	h.argv = argv;
	h.argc = 2;
	h.pid = 4242;
	h.start_ns = 1700000000000000000ull;
	h.mode = PYRO_MODE_CPU;
	h.rate_hz = 1000;
	ASSERT_EQ(pyro_writer_open(&w, path, &h), 0);
	f.name = pyro_writer_string(&w, "main", 4);
	f.file = pyro_writer_string(&w, "/app/app.py", 11);
	ASSERT_EQ(pyro_writer_string(&w, "main", 4), f.name); /* interned */
	f.first_line = 1;
	f.line = 5;
	root = pyro_writer_stack(&w, PYRO_NO_ID, pyro_writer_frame(&w, &f));
	f.name = pyro_writer_string(&w, "<hot>&\"", 7);
	f.first_line = 10;
	f.line = -1;
	leaf = pyro_writer_stack(&w, root, pyro_writer_frame(&w, &f));
	ASSERT_EQ(pyro_writer_stack(&w, root, pyro_writer_frame(&w, &f)), leaf);
	t = pyro_writer_thread(&w, &th);
	memset(&s, 0, sizeof(s));
	s.thread = t;
	s.stack = leaf;
	s.time_ns = 1000;
	s.weight_ns = 1000000;
	pyro_writer_sample(&w, &s);
	ASSERT_EQ(pyro_writer_flush(&w), 0); /* streamed: a second batch follows */
	s.stack = root;
	s.time_ns = 2000000;
	pyro_writer_sample(&w, &s);
	s.stack = PYRO_NO_ID;
	s.time_ns = 3000000;
	pyro_writer_sample(&w, &s);
	if (close_it)
		ASSERT_EQ(pyro_writer_close(&w, &end), 0);
	else
		ASSERT_EQ(pyro_writer_flush(&w), 0);
	pyro_writer_release(&w);
}

static void check_tables(const struct pyro_profile *p)
{
	ASSERT_EQ(p->nstrings, 3);
	ASSERT_EQ(p->nframes, 2);
	ASSERT_EQ(p->nstacks, 2);
	ASSERT_EQ(p->nthreads, 1);
	ASSERT_EQ(p->nsamples, 3);
	ASSERT_STR_EQ(pyro_profile_str(p, p->frames[1].name), "<hot>&\"");
	ASSERT_EQ(p->frames[1].line, -1);
	ASSERT_EQ(p->stacks[1].parent, 0);
	ASSERT_EQ(p->stacks[0].parent, PYRO_NO_ID);
	ASSERT_EQ(p->threads[0].native_id, 4242);
	ASSERT_EQ(p->samples[0].stack, 1);
	ASSERT_EQ(p->samples[0].weight_ns, 1000000);
	ASSERT_EQ(p->samples[1].time_ns, 2000000);
	ASSERT_EQ(p->samples[2].stack, PYRO_NO_ID);
}

TEST(round_trip)
{
	struct pyro_profile p;

	write_sample_file(1);
	ASSERT_EQ(pyro_profile_read(path, &p), 0);
	ASSERT_STR_EQ(p.header.producer, "pyrometer test");
	ASSERT_STR_EQ(p.header.python_version, "3.12.1");
	ASSERT_EQ(p.header.argc, 2);
	ASSERT_STR_EQ(p.header.argv[1], "app.py");
	ASSERT_EQ(p.header.pid, 4242);
	ASSERT_EQ(p.header.start_ns, 1700000000000000000ull);
	ASSERT_EQ(p.header.mode, PYRO_MODE_CPU);
	ASSERT_EQ(p.header.rate_hz, 1000);
	check_tables(&p);
	ASSERT_TRUE(p.end.present);
	ASSERT_EQ(p.end.ticks, 3);
	ASSERT_EQ(p.end.errors, 1);
	ASSERT_EQ(p.warning[0], '\0');
	pyro_profile_release(&p);
	unlink(path);
}

TEST(missing_end_chunk_is_a_warning)
{
	struct pyro_profile p;

	write_sample_file(0);
	ASSERT_EQ(pyro_profile_read(path, &p), 0);
	check_tables(&p);
	ASSERT_TRUE(!p.end.present);
	ASSERT_CONTAINS(p.warning, "without an end chunk");
	pyro_profile_release(&p);
	unlink(path);
}

static uint8_t *load(size_t *n)
{
	struct stat st;
	uint8_t *d;
	int fd = open(path, O_RDONLY);

	fstat(fd, &st);
	d = malloc((size_t)st.st_size);
	*n = (size_t)read(fd, d, (size_t)st.st_size);
	close(fd);
	return d;
}

TEST(every_truncation_is_an_error_or_a_warning)
{
	size_t n, cut;
	uint8_t *d;

	write_sample_file(1);
	d = load(&n);
	for (cut = 0; cut < n; cut++) {
		struct pyro_profile p;
		int rc = pyro_profile_parse(d, cut, &p);

		if (rc == 0) {
			ASSERT_TRUE(p.warning[0] != '\0');
			pyro_profile_release(&p);
		} else {
			ASSERT_TRUE(strstr(pyro_err_msg(), "byte") != NULL);
		}
	}
	free(d);
	unlink(path);
}

TEST(truncated_chunk_keeps_earlier_samples)
{
	struct pyro_profile p;
	size_t n;
	uint8_t *d;

	write_sample_file(1);
	d = load(&n);
	/* Cut inside the END chunk: every sample is still there. */
	ASSERT_EQ(pyro_profile_parse(d, n - 2, &p), 0);
	ASSERT_EQ(p.nsamples, 3);
	ASSERT_CONTAINS(p.warning, "truncated at byte");
	pyro_profile_release(&p);
	free(d);
	unlink(path);
}

TEST(corruption_names_the_offset)
{
	struct pyro_profile p;
	size_t n;
	uint8_t *d;

	write_sample_file(1);
	d = load(&n);
	ASSERT_TRUE(pyro_profile_parse((const uint8_t *)"hello world!", 12, &p) < 0);
	ASSERT_CONTAINS(pyro_err_msg(), "not a .pyro file");
	d[8] = 9; /* major version */
	ASSERT_TRUE(pyro_profile_parse(d, n, &p) < 0);
	ASSERT_CONTAINS(pyro_err_msg(), "format version 9");
	free(d);
	unlink(path);
}

TEST(flipping_any_byte_never_crashes)
{
	size_t n, i;
	uint8_t *d;

	write_sample_file(1);
	d = load(&n);
	for (i = 0; i < n; i++) {
		static const uint8_t vals[] = { 0x00, 0xff, 0x7f, 0x80, 0x01 };
		size_t k;

		for (k = 0; k < sizeof(vals); k++) {
			struct pyro_profile p;
			uint8_t old = d[i];

			d[i] = vals[k];
			if (pyro_profile_parse(d, n, &p) == 0)
				pyro_profile_release(&p);
			d[i] = old;
		}
	}
	free(d);
	unlink(path);
}

/* Format 1.2: thread processes, sample states, thread updates (a name
 * learnt late, cumulative times: the last entry wins) and processes. */
TEST(format_1_2_fields_round_trip)
{
	struct pyro_writer w;
	struct pyro_header h;
	struct pyro_thread th;
	struct pyro_sample s;
	struct pyro_process pr;
	struct pyro_profile p;
	uint64_t times[PYRO_TIMES] = { 100, 40, 30, 20, 10, 7 };
	uint32_t args[2], t0, t1;

	snprintf(path, sizeof(path), "/tmp/pyro-unit-12-%d.pyro", (int)getpid());
	memset(&h, 0, sizeof(h));
	h.producer = "pyrometer test";
	h.python_version = "3.12.1";
	h.pid = 10;
	h.mode = PYRO_MODE_GIL;
	ASSERT_EQ(pyro_writer_open(&w, path, &h), 0);
	memset(&th, 0, sizeof(th));
	th.native_id = 11;
	th.name = PYRO_NO_ID;
	t0 = pyro_writer_thread(&w, &th);
	th.native_id = 21;
	th.pid = 20;
	t1 = pyro_writer_thread(&w, &th);
	memset(&s, 0, sizeof(s));
	s.thread = t1;
	s.stack = PYRO_NO_ID;
	s.weight_ns = 5;
	s.state = PYRO_STATE(PYRO_ACT_GIL_WAIT, PYRO_GIL_NOT_HELD);
	pyro_writer_sample(&w, &s);
	pyro_writer_thread_update(&w, t0, pyro_writer_string(&w, "MainThread", 10), times);
	args[0] = pyro_writer_string(&w, "python3", 7);
	args[1] = pyro_writer_string(&w, "child.py", 8);
	memset(&pr, 0, sizeof(pr));
	pr.pid = 20;
	pr.ppid = 10;
	pr.version = pyro_writer_string(&w, "3.11.7", 6);
	pr.argv = args;
	pr.argc = 2;
	ASSERT_EQ(pyro_writer_process(&w, &pr), 0);
	ASSERT_EQ(pyro_writer_flush(&w), 0);
	times[0] = 200;
	pyro_writer_thread_update(&w, t0, PYRO_NO_ID, times); /* a later total replaces it */
	s.thread = t0;
	s.state = PYRO_STATE(PYRO_ACT_RUNNING, PYRO_GIL_HELD);
	pyro_writer_sample(&w, &s);
	ASSERT_EQ(pyro_writer_close(&w, NULL), 0);
	pyro_writer_release(&w);

	ASSERT_EQ(pyro_profile_read(path, &p), 0);
	ASSERT_EQ(p.header.mode, PYRO_MODE_GIL);
	ASSERT_EQ(p.nthreads, 2);
	ASSERT_EQ(p.threads[0].pid, 0);
	ASSERT_EQ(p.threads[1].pid, 20);
	ASSERT_STR_EQ(pyro_profile_str(&p, p.threads[0].name), "MainThread");
	ASSERT_EQ(p.threads[1].name, PYRO_NO_ID);
	ASSERT_EQ(p.threads[0].times_ns[PYRO_TIME_OBSERVED], 200);
	ASSERT_EQ(p.threads[0].times_ns[PYRO_TIME_IDLE], 10);
	ASSERT_EQ(p.threads[0].times_ns[PYRO_TIME_NO_PYTHON], 7);
	ASSERT_EQ(p.threads[0].ntimes, PYRO_TIMES);
	ASSERT_EQ(p.threads[1].times_ns[PYRO_TIME_OBSERVED], 0);
	ASSERT_EQ(p.threads[1].ntimes, 0);
	ASSERT_EQ(p.nsamples, 2);
	ASSERT_EQ(PYRO_STATE_ACT(p.samples[0].state), PYRO_ACT_GIL_WAIT);
	ASSERT_EQ(PYRO_STATE_GIL(p.samples[0].state), PYRO_GIL_NOT_HELD);
	ASSERT_EQ(PYRO_STATE_ACT(p.samples[1].state), PYRO_ACT_RUNNING);
	ASSERT_EQ(PYRO_STATE_GIL(p.samples[1].state), PYRO_GIL_HELD);
	ASSERT_EQ(p.nprocesses, 1);
	ASSERT_EQ(p.processes[0].pid, 20);
	ASSERT_EQ(p.processes[0].ppid, 10);
	ASSERT_STR_EQ(pyro_profile_str(&p, p.processes[0].version), "3.11.7");
	ASSERT_EQ(p.processes[0].argc, 2);
	ASSERT_STR_EQ(pyro_profile_str(&p, p.processes[0].argv[1]), "child.py");
	pyro_profile_release(&p);
	unlink(path);
}

CHECK_MAIN()
