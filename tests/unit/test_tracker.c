/*
 * test_tracker.c - the memory agent's bookkeeping (src/agent/tracker.c) with
 * no Python: blocks at made-up addresses on made-up frames, the totals,
 * peak and leaks they must give, the sampler's estimates, and the .pyro
 * file the tracker writes, read back by the profile reader.
 */
#include "agent/tracker.h"
#include "check.h"
#include "profile/profile.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <time.h>

/* Made-up code objects: a frame is identified by them, named by describe. */
static const char code_a, code_b, code_c;

static void describe(const struct trk_pyframe *f, char *name, size_t name_cap, char *file, size_t file_cap)
{
	snprintf(name, name_cap, "%s", f->code == &code_a ? "alpha" : f->code == &code_b ? "beta" : "gamma");
	snprintf(file, file_cap, "t.py");
}

/* A stack: leaf first. */
static const struct trk_pyframe stack_a[] = { { &code_a, &code_a, &code_a, 1, 3 }, { &code_c, &code_c, &code_c, 1, 9 } };
static const struct trk_pyframe stack_b[] = { { &code_b, &code_b, &code_b, 5, 6 }, { &code_c, &code_c, &code_c, 1, 9 } };

static void start(const char *path, int exact, uint64_t sample_bytes, uint64_t churn_ns)
{
	struct pyro_header h;
	struct trk_opts o;

	memset(&h, 0, sizeof(h));
	h.producer = "test";
	h.python_version = "3.12.1";
	memset(&o, 0, sizeof(o));
	o.exact = exact;
	o.sample_bytes = sample_bytes;
	o.churn_ns = churn_ns;
	o.seed = 12345;
	ASSERT_EQ(trk_start(path, &h, &o, describe), 0);
}

static void *addr(size_t i)
{
	return (void *)(uintptr_t)(0x100000 + i * 64);
}

static void alloc_on(size_t i, size_t n, const struct trk_pyframe *s)
{
	uint64_t w = trk_sample(n);

	if (w)
		trk_alloc(addr(i), w, s, 2);
}

/* The site whose leaf frame is named name, or NULL. */
static const struct pyro_mem_site *site_named(const struct trk_view *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->nsites; i++) {
		const struct pyro_profile *t = v->tables;
		uint32_t st = v->sites[i].stack;

		if (st < t->nstacks && !strcmp(pyro_profile_str(t, t->frames[t->stacks[st].frame].name), name))
			return &v->sites[i];
	}
	return NULL;
}

/* Exact: every byte is where it was allocated; the peak is the most ever
 * live at once, with each site's share of it at that moment. */
TEST(exact_totals_peak_and_leaks)
{
	struct trk_view v;
	const struct pyro_mem_site *a, *b;
	size_t i;

	start(NULL, 1, 0, 0);
	for (i = 0; i < 100; i++)
		alloc_on(i, 1000, stack_a);
	for (i = 0; i < 10; i++)
		alloc_on(1000 + i, 5000, stack_b);
	/* the peak: 100,000 + 50,000 */
	for (i = 0; i < 50; i++)
		trk_free(addr(i));
	trk_free(addr(0));        /* freed twice: nothing more */
	trk_free(addr(99999));    /* never allocated */
	alloc_on(5000, 20000, stack_b); /* 120,000 live: under the peak */
	ASSERT_EQ(trk_stop(1), 0);
	ASSERT_EQ(trk_view(&v), 0);
	ASSERT_EQ(v.nsites, 2);
	ASSERT_EQ(v.peak_bytes, 150000);
	ASSERT_EQ(v.live_bytes, 120000);
	a = site_named(&v, "alpha");
	b = site_named(&v, "beta");
	ASSERT_TRUE(a && b);
	ASSERT_EQ(a->allocs, 100);
	ASSERT_EQ(a->alloc_bytes, 100000);
	ASSERT_EQ(a->freed_bytes, 50000);
	ASSERT_EQ(a->live_bytes, 50000);
	ASSERT_EQ(a->peak_bytes, 100000);
	ASSERT_EQ(b->allocs, 11);
	ASSERT_EQ(b->alloc_bytes, 70000);
	ASSERT_EQ(b->live_bytes, 70000);
	ASSERT_EQ(b->peak_bytes, 50000);
	/* freed at once, well within the default 100 ms churn window */
	ASSERT_EQ(a->temp_bytes, a->freed_bytes);
	trk_view_end(&v);
	trk_release();
}

/* An address handed out again without its free being seen: the old block
 * is gone, the new one belongs to the new site. */
TEST(reused_address_moves_to_the_new_site)
{
	struct trk_view v;

	start(NULL, 1, 0, 0);
	alloc_on(7, 4096, stack_a);
	alloc_on(7, 100, stack_b);
	ASSERT_EQ(trk_view(&v), 0);
	ASSERT_EQ(v.live_bytes, 100);
	ASSERT_EQ(site_named(&v, "alpha")->live_bytes, 0);
	ASSERT_EQ(site_named(&v, "alpha")->freed_bytes, 4096);
	ASSERT_EQ(site_named(&v, "beta")->live_bytes, 100);
	trk_view_end(&v);
	trk_free(addr(7));
	ASSERT_EQ(trk_view(&v), 0);
	ASSERT_EQ(v.live_bytes, 0);
	trk_view_end(&v);
	ASSERT_EQ(trk_stop(1), 0);
}

/* Many live blocks (the table grows) and all freed again. */
TEST(many_live_blocks)
{
	struct trk_view v;
	size_t i, n = 300000;

	start(NULL, 1, 0, 0);
	for (i = 0; i < n; i++)
		alloc_on(i, 16, i & 1 ? stack_a : stack_b);
	ASSERT_EQ(trk_view(&v), 0);
	ASSERT_EQ(v.live_bytes, 16 * n);
	trk_view_end(&v);
	for (i = 0; i < n; i++)
		trk_free(addr(i));
	ASSERT_EQ(trk_view(&v), 0);
	ASSERT_EQ(v.live_bytes, 0);
	ASSERT_EQ(v.peak_bytes, 16 * n);
	ASSERT_EQ(site_named(&v, "alpha")->freed_bytes, 8 * n);
	trk_view_end(&v);
	ASSERT_EQ(trk_stop(1), 0);
}

/* Sampled: blocks at least the mean are always recorded at their size;
 * smaller ones are estimates whose sum is unbiased. 10^6 blocks of 100 bytes
 * sampled every 4 KiB: about 24,400 samples, a standard deviation of 0.64%
 * of the 100 MB, so 4% is over 6 of them. */
TEST(sampled_estimates_are_unbiased)
{
	struct trk_view v;
	const struct pyro_mem_site *a;
	size_t i, n = 1000000;
	double est;

	start(NULL, 0, 4096, 0);
	ASSERT_EQ(trk_sample(4096), 4096);
	ASSERT_EQ(trk_sample(1 << 20), 1 << 20);
	for (i = 0; i < n; i++)
		alloc_on(i, 100, stack_a);
	ASSERT_EQ(trk_view(&v), 0);
	a = site_named(&v, "alpha");
	ASSERT_TRUE(a != NULL);
	est = (double)a->alloc_bytes;
	if (fabs(est - 1e8) > 0.04 * 1e8)
		CHECK_FAIL("sampled estimate %.0f of 100,000,000 bytes", est);
	/* about one in 41 blocks sampled, each standing for about 4 KiB */
	if (a->allocs < 20000 || a->allocs > 29000)
		CHECK_FAIL("%llu of 1,000,000 blocks sampled", (unsigned long long)a->allocs);
	ASSERT_EQ(v.sample_bytes, 4096);
	ASSERT_EQ(v.exact, 0);
	trk_view_end(&v);
	ASSERT_EQ(trk_stop(1), 0);
}

/* A block freed after the churn window is not temporary. */
TEST(churn_window)
{
	struct trk_view v;
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	start(NULL, 1, 0, 10ull * 1000 * 1000); /* 10 ms */
	alloc_on(1, 1000, stack_a);
	alloc_on(2, 2000, stack_a);
	trk_free(addr(1));       /* at once: temporary */
	nanosleep(&ts, NULL);
	trk_free(addr(2));       /* after 30 ms: not */
	ASSERT_EQ(trk_view(&v), 0);
	ASSERT_EQ(site_named(&v, "alpha")->freed_bytes, 3000);
	ASSERT_EQ(site_named(&v, "alpha")->temp_bytes, 1000);
	trk_view_end(&v);
	ASSERT_EQ(trk_stop(1), 0);
}

/* Stopped, nothing more is recorded; a second start is refused while one runs. */
TEST(start_stop_rules)
{
	struct trk_view v;
	struct pyro_header h;
	struct trk_opts o;

	start(NULL, 1, 0, 0);
	memset(&h, 0, sizeof(h));
	memset(&o, 0, sizeof(o));
	ASSERT_EQ(trk_start(NULL, &h, &o, describe), -EBUSY);
	alloc_on(1, 10, stack_a);
	ASSERT_EQ(trk_stop(0), 0);
	alloc_on(2, 10, stack_a);
	trk_free(addr(1));
	ASSERT_EQ(trk_view(&v), 0);
	ASSERT_EQ(v.live_bytes, 10);
	trk_view_end(&v);
	trk_release();
	ASSERT_EQ(trk_view(&v), -ESRCH);
}

/* The filter a free of an unsampled block reads: with 2,000 blocks live,
 * at most 1 in 32 other addresses (about 3%) finds its bit set, however
 * many blocks came and went before; when the blocks are freed, no bit
 * stays set. */
TEST(free_filter_fits_the_live_blocks)
{
	struct trk_view v;
	size_t i, hits = 0, n = 2000, probes = 100000;

	start(NULL, 1, 0, 0);
	for (i = 0; i < 50000; i++)   /* grows the filter, then all go */
		alloc_on(1000000 + i, 16, stack_a);
	for (i = 0; i < 50000; i++)
		trk_free(addr(1000000 + i));
	for (i = 0; i < n; i++)
		alloc_on(i * 7, 16, stack_b);
	for (i = 0; i < n; i++)
		ASSERT_TRUE(trk_maybe_sampled(addr(i * 7)));
	for (i = 0; i < probes; i++)
		hits += (size_t)trk_maybe_sampled(addr(2000000 + i * 3));
	if (hits * 20 > probes)
		CHECK_FAIL("%zu of %zu unsampled addresses found a set bit", hits, probes);
	for (i = 0; i < n; i++)
		trk_free(addr(i * 7));
	for (i = 0; i < n; i++)
		ASSERT_TRUE(!trk_maybe_sampled(addr(i * 7)));
	ASSERT_EQ(trk_view(&v), 0);
	ASSERT_EQ(v.live_bytes, 0);
	trk_view_end(&v);
	ASSERT_EQ(trk_stop(1), 0);
	trk_release();
}

static void *first_allocation(void *out)
{
	*(uint64_t *)out = trk_sample(100);
	return NULL;
}

/* A thread's first allocation is sampled as any other: a new thread's
 * countdown starts there, it is not a sample by default. 400 threads
 * allocating 100 bytes each with a 4 KiB mean: about 9.6 samples
 * expected (p = 2.4%), 40 is over 9 standard deviations. */
TEST(a_new_threads_first_allocation_is_not_always_sampled)
{
	enum { N = 400 };
	static uint64_t weight[N];
	pthread_t t;
	size_t i, sampled = 0;

	start(NULL, 0, 4096, 0);
	for (i = 0; i < N; i++) {
		ASSERT_EQ(pthread_create(&t, NULL, first_allocation, &weight[i]), 0);
		ASSERT_EQ(pthread_join(t, NULL), 0);
		sampled += weight[i] != 0;
	}
	if (sampled > 40)
		CHECK_FAIL("%zu of %d first allocations sampled", sampled, N);
	ASSERT_EQ(trk_stop(1), 0);
	trk_release();
}

/* The file: the reader finds the same sites, the peak, the end, and points. */
TEST(file_reads_back)
{
	char path[64];
	struct pyro_profile p;
	const struct pyro_memory *m;
	size_t i, found = 0;

	snprintf(path, sizeof(path), "/tmp/pyro-unit-trk-%d.pyro", (int)getpid());
	start(path, 1, 0, 0);
	for (i = 0; i < 10; i++)
		alloc_on(i, 1000, stack_a);
	for (i = 0; i < 4; i++)
		trk_free(addr(i));
	alloc_on(100, 3000, stack_b);
	ASSERT_EQ(trk_stop(1), 0);
	trk_release();
	ASSERT_EQ(pyro_profile_read(path, &p), 0);
	unlink(path);
	m = &p.memory;
	ASSERT_TRUE(m->present);
	ASSERT_TRUE(m->flags & PYRO_MEM_EXACT);
	ASSERT_TRUE(m->flags & PYRO_MEM_ENDED);
	ASSERT_EQ(m->peak_bytes, 10000);
	ASSERT_TRUE(m->npoints >= 1);
	for (i = 0; i < m->nsites; i++) {
		const struct pyro_mem_site *s = &m->sites[i];
		const char *leaf = pyro_profile_str(&p, p.frames[p.stacks[s->stack].frame].name);

		ASSERT_TRUE(s->stack < p.nstacks);
		ASSERT_STR_EQ(pyro_profile_str(&p, p.frames[p.stacks[p.stacks[s->stack].parent].frame].name), "gamma");
		if (!strcmp(leaf, "alpha")) {
			ASSERT_EQ(s->alloc_bytes, 10000);
			ASSERT_EQ(s->live_bytes, 6000);
			ASSERT_EQ(s->peak_bytes, 10000);
			found++;
		} else if (!strcmp(leaf, "beta")) {
			ASSERT_EQ(s->alloc_bytes, 3000);
			ASSERT_EQ(s->live_bytes, 3000);
			ASSERT_EQ(s->peak_bytes, 0);
			found++;
		}
	}
	ASSERT_EQ(found, 2);
	pyro_profile_release(&p);
}

CHECK_MAIN()
