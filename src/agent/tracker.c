/*
 * tracker.c - sampled allocations, live blocks, per-stack totals, the peak
 * and the .pyro stream, for the memory agent.
 *
 * Sampling is by bytes: each thread counts down an exponentially
 * distributed number of bytes and the allocation that crosses zero is
 * sampled, so an allocation of n bytes is sampled with probability
 * p = 1 - exp(-n / mean) and stands for n / p bytes (an unbiased estimate
 * of every total). Allocations of at least the mean are always recorded at
 * their size (p = 1), which keeps the large ones exact.
 *
 * Everything below the lock is guarded by `lock`; the sampled-block filter
 * is read without it (a zero counter proves a block was never sampled).
 * Must not: call Python, allocate through the hooked allocators, or hold
 * the lock while waiting for anything else.
 */
#include "agent/tracker.h"
#include "profile/model.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FILTER_MIN_LOG2 12   /* 512 bytes */
#define FILTER_MAX_LOG2 24   /* 2 MiB */
#define POINT_EVERY_NS (10ull * 1000 * 1000)
#define FLUSH_EVERY_NS (1000ull * 1000 * 1000)
#define MAX_PENDING_POINTS 4096

__thread int trk_in_agent __attribute__((tls_model("initial-exec")));
__thread int64_t trk_countdown __attribute__((tls_model("initial-exec")));
static __thread uint64_t rng __attribute__((tls_model("initial-exec")));
static __thread unsigned thread_session __attribute__((tls_model("initial-exec")));
volatile int trk_active;
volatile uint64_t trk_always = UINT64_MAX;
static volatile unsigned session;  /* counts trk_start()s */

struct site {
	struct pyro_mem_site s;      /* live_bytes now; peak_bytes as of peak_ver */
	uint64_t peak_ver;           /* the peak the s.peak_bytes snapshot belongs to */
	int dirty;                   /* changed since the last flush */
};

struct block {
	uintptr_t ptr;               /* 0: empty slot */
	uint32_t site;               /* index in sites */
	uint64_t weight;
	uint64_t t_ns;
};

/* Guarded by lock. */
static struct {
	pthread_mutex_t lock;
	int started, stopped, file, failed;
	char failure[256];
	struct trk_opts o;
	trk_describe_fn describe;
	struct pyro_writer w;
	uint64_t t0;                 /* CLOCK_MONOTONIC at start */
	struct site *sites;          /* by stack + 1 (0: no Python frame) */
	size_t nsites, cap_sites;
	uint32_t *dirty;             /* site indexes changed since the last flush */
	size_t ndirty, cap_dirty;
	struct block *blocks;        /* open addressing, linear probing */
	size_t cap_blocks, nblocks;
	struct pyro_hash frame_cache; /* hash of (code, line) -> index in fcache */
	struct fcache { struct trk_pyframe f; uint32_t id; } *fcache;
	size_t nfcache, cap_fcache;
	uint64_t live, peak, peak_time, peak_ver;
	struct pyro_mem_point points[MAX_PENDING_POINTS];
	size_t npoints;
	uint64_t last_point, last_flush, last_point_live;
	int statm_fd;
} T = { .lock = PTHREAD_MUTEX_INITIALIZER, .statm_fd = -1 };

/* The filter of sampled blocks (tracker.h). Before the first start, and
 * until the first sampled block, it is this one: 64 clear bits. */
static union {
	struct trk_filter f;
	uint8_t space[sizeof(struct trk_filter) + 8];
} empty_filter = { .f = { .shift = 64 - 6 } };
struct trk_filter *_Atomic trk_filter_now = &empty_filter.f;

/* The filters made so far, by size (log2 of the bits), and the counts of
 * live sampled blocks behind the current one's bits (a bit is cleared when
 * its count falls to 0; a saturated count stays). A replaced filter is kept
 * and reused by a later session, never freed: a hook on another thread may
 * still be reading it. Guarded by the lock. */
static struct trk_filter *filters[FILTER_MAX_LOG2 + 1];
static uint16_t *filter_count;
static unsigned filter_log2;       /* of the current one; 0: the empty one */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Count a block at p into filter f with counts count, setting its bit. */
static void filter_count_in(struct trk_filter *f, uint16_t *count, const void *p)
{
	size_t slot = trk_filter_slot(f, p);

	if (count[slot] != UINT16_MAX && count[slot]++ == 0)
		atomic_fetch_or_explicit(&f->bits[slot >> 3], (uint8_t)(1u << (slot & 7)), memory_order_relaxed);
}

static void filter_add_unlocked(const void *p)
{
	filter_count_in(atomic_load_explicit(&trk_filter_now, memory_order_relaxed), filter_count, p);
}

static void filter_remove_unlocked(const void *p)
{
	struct trk_filter *f = atomic_load_explicit(&trk_filter_now, memory_order_relaxed);
	size_t slot;

	if (!filter_log2)
		return;
	slot = trk_filter_slot(f, p);
	if (filter_count[slot] != UINT16_MAX && --filter_count[slot] == 0)
		atomic_fetch_and_explicit(&f->bits[slot >> 3], (uint8_t)~(1u << (slot & 7)), memory_order_relaxed);
}

static void filter_drop_unlocked(void)
{
	free(filter_count);
	filter_count = NULL;
	filter_log2 = 0;
	atomic_store_explicit(&trk_filter_now, &empty_filter.f, memory_order_release);
}

/* Before a block is added: a filter with at least 32 bits for each sampled
 * block, so that at most 1 free in 32 of an unsampled block finds its bit
 * set. The new one is filled from the live blocks before it is published. */
static int filter_fit_unlocked(size_t nblocks)
{
	unsigned want = filter_log2 ? filter_log2 : FILTER_MIN_LOG2;
	struct trk_filter *f;
	uint16_t *count;
	size_t i, bytes;

	while (want < FILTER_MAX_LOG2 && (nblocks << 5) > ((size_t)1 << want))
		want++;
	if (want == filter_log2)
		return 0;
	bytes = (size_t)1 << (want - 3);
	if (!filters[want]) {
		if (!(filters[want] = malloc(sizeof(struct trk_filter) + bytes)))
			return -ENOMEM;
		filters[want]->shift = 64 - want;
	}
	if (!(count = calloc((size_t)1 << want, sizeof(*count))))
		return -ENOMEM;
	f = filters[want];
	memset((void *)f->bits, 0, bytes);
	for (i = 0; i < T.cap_blocks; i++)
		if (T.blocks[i].ptr)
			filter_count_in(f, count, (const void *)T.blocks[i].ptr);
	free(filter_count);
	filter_count = count;
	filter_log2 = want;
	atomic_store_explicit(&trk_filter_now, f, memory_order_release);
	return 0;
}

/* An exponential variate with the given mean (xorshift64* uniform). */
static int64_t draw(uint64_t mean)
{
	double u;

	if (!rng)
		rng = (T.o.seed ? T.o.seed : mono_ns()) ^ (uint64_t)(uintptr_t)&rng ^ 0x9e3779b97f4a7c15ull;
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	u = (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0; /* [0, 1) */
	return (int64_t)(-log(1.0 - u) * (double)mean) + 1;
}

/* The weight of a sampled allocation of n bytes: n / p, p = 1 - e^(-n/mean). */
static uint64_t weight_of(size_t n, uint64_t mean)
{
	return (uint64_t)llround((double)n / -expm1(-(double)n / (double)mean));
}

/* The countdown crossed zero, or n is large, or tracking is exact or off.
 * A thread new to this session (just started, or its countdown was drawn
 * in an earlier one) starts afresh: the countdown is drawn now and this
 * allocation is the first it counts, as if the thread had just begun. The
 * leftover of a crossed countdown is dropped (memoryless: the next draw is
 * as good). */
uint64_t trk_sample_slow(size_t n)
{
	uint64_t mean = T.o.sample_bytes;
	int64_t left;

	if (!trk_active) {
		/* Off: come back rarely. */
		trk_countdown = draw(TRK_DEFAULT_SAMPLE);
		return 0;
	}
	if (T.o.exact)
		return n ? n : 1;
	if (n >= mean)
		return n;
	if (thread_session != session) {
		thread_session = session;
		trk_countdown = draw(mean);
	}
	left = trk_countdown - (int64_t)n;
	if (left > 0) {
		trk_countdown = left;
		return 0;
	}
	trk_countdown = draw(mean);
	return n ? weight_of(n, mean) : 0;
}

static void fail_unlocked(const char *what)
{
	if (T.failed)
		return;
	T.failed = 1;
	trk_active = 0;
	trk_always = UINT64_MAX;
	snprintf(T.failure, sizeof(T.failure), "%s", what);
}

static struct site *site_unlocked(uint32_t stack)
{
	size_t idx = stack == PYRO_NO_ID ? 0 : (size_t)stack + 1;

	if (idx >= T.nsites) {
		if (pyro_grow((void **)&T.sites, &T.cap_sites, idx + 1, sizeof(*T.sites)) < 0)
			return NULL;
		memset(&T.sites[T.nsites], 0, (idx + 1 - T.nsites) * sizeof(*T.sites));
		for (; T.nsites <= idx; T.nsites++)
			T.sites[T.nsites].s.stack = T.nsites ? (uint32_t)(T.nsites - 1) : PYRO_NO_ID;
	}
	return &T.sites[idx];
}

/* Before a site's live bytes change: if it has not changed since the last
 * peak, its live bytes now are what it held then. */
static void touch_unlocked(struct site *s)
{
	if (s->peak_ver != T.peak_ver) {
		s->s.peak_bytes = s->s.live_bytes;
		s->peak_ver = T.peak_ver;
	}
	if (!s->dirty) {
		if (pyro_grow((void **)&T.dirty, &T.cap_dirty, T.ndirty + 1, sizeof(*T.dirty)) < 0) {
			fail_unlocked("out of memory");
			return;
		}
		T.dirty[T.ndirty++] = (uint32_t)(s - T.sites);
		s->dirty = 1;
	}
}

static uint64_t peak_of(const struct site *s)
{
	return s->peak_ver == T.peak_ver ? s->s.peak_bytes : s->s.live_bytes;
}

static uint64_t rss_unlocked(void)
{
	char buf[128];
	unsigned long long size, resident;
	ssize_t n;

	if (T.statm_fd < 0)
		return 0;
	n = pread(T.statm_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return 0;
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void point_unlocked(uint64_t t)
{
	if (T.npoints == MAX_PENDING_POINTS)
		return;
	T.points[T.npoints].time_ns = t;
	T.points[T.npoints].live_bytes = T.live;
	T.points[T.npoints].rss_bytes = rss_unlocked();
	T.npoints++;
	T.last_point = t;
	T.last_point_live = T.live;
}

static void fill_memory(struct pyro_memory *m, int ended)
{
	memset(m, 0, sizeof(*m));
	m->flags = (T.o.exact ? PYRO_MEM_EXACT : 0) | (T.o.native ? PYRO_MEM_NATIVE : 0) | (ended ? PYRO_MEM_ENDED : 0) |
		   (T.failed ? PYRO_MEM_DISABLED : 0);
	m->sample_bytes = T.o.exact ? 1 : T.o.sample_bytes;
	m->churn_ns = T.o.churn_ns;
	m->peak_bytes = T.peak;
	m->peak_time_ns = T.peak_time;
	m->time_ns = mono_ns() - T.t0;
	snprintf(m->message, sizeof(m->message), "%s", T.failed ? T.failure : "");
}

static void flush_unlocked(uint64_t t, int ended)
{
	struct pyro_mem_site *out = NULL;
	struct pyro_memory m;
	size_t i;

	T.last_flush = t;
	if (!T.file || T.stopped)
		return;
	if (T.live != T.last_point_live || ended)
		point_unlocked(t);
	if (T.ndirty && !(out = malloc(T.ndirty * sizeof(*out)))) {
		fail_unlocked("out of memory");
		return;
	}
	for (i = 0; i < T.ndirty; i++) {
		struct site *s = &T.sites[T.dirty[i]];

		out[i] = s->s;
		out[i].peak_bytes = peak_of(s);
		s->dirty = 0;
	}
	fill_memory(&m, ended);
	if (pyro_writer_mem_sites(&T.w, t, out, T.ndirty) < 0 || pyro_writer_mem_points(&T.w, T.points, T.npoints) < 0 ||
	    pyro_writer_memory(&T.w, &m) < 0)
		fail_unlocked(pyro_err_msg());
	T.ndirty = 0;
	T.npoints = 0;
	free(out);
}

/* After live bytes changed. */
static void account_unlocked(uint64_t t)
{
	if (T.live > T.peak) {
		T.peak = T.live;
		T.peak_time = t;
		T.peak_ver++;
	}
	if (t - T.last_point >= POINT_EVERY_NS)
		point_unlocked(t);
	if (t - T.last_flush >= FLUSH_EVERY_NS)
		flush_unlocked(t, 0);
}

static uint32_t frame_unlocked(const struct trk_pyframe *f)
{
	uint64_t key = pyro_hash_mix((uint64_t)(uintptr_t)f->code ^ ((uint64_t)(uint32_t)f->line << 40)) | 1, idx;
	char name[TRK_NAME_MAX], file[TRK_NAME_MAX];
	struct pyro_frame pf;
	uint32_t id;

	for (;; key += 2) {
		const struct trk_pyframe *c;

		if (!pyro_hash_get(&T.frame_cache, key, &idx))
			break;
		c = &T.fcache[idx].f;
		if (c->code == f->code && c->line == f->line && c->name_obj == f->name_obj && c->file_obj == f->file_obj &&
		    c->first_line == f->first_line)
			return T.fcache[idx].id;
	}
	name[0] = file[0] = '\0';
	T.describe(f, name, sizeof(name), file, sizeof(file));
	memset(&pf, 0, sizeof(pf));
	pf.name = pyro_writer_string(&T.w, name, strlen(name));
	pf.file = pyro_writer_string(&T.w, file, strlen(file));
	pf.first_line = f->first_line;
	pf.line = f->line;
	pf.kind = PYRO_FRAME_PYTHON;
	id = pyro_writer_frame(&T.w, &pf);
	if (id == PYRO_NO_ID ||
	    pyro_grow((void **)&T.fcache, &T.cap_fcache, T.nfcache + 1, sizeof(*T.fcache)) < 0 ||
	    pyro_hash_put(&T.frame_cache, key, T.nfcache) < 0)
		return PYRO_NO_ID;
	T.fcache[T.nfcache].f = *f;
	T.fcache[T.nfcache].id = id;
	T.nfcache++;
	return id;
}

static uint32_t stack_unlocked(const struct trk_pyframe *frames, int n)
{
	uint32_t stack = PYRO_NO_ID;
	int i;

	for (i = n - 1; i >= 0; i--) {
		uint32_t f = frame_unlocked(&frames[i]);

		if (f == PYRO_NO_ID)
			return PYRO_NO_ID;
		stack = pyro_writer_stack(&T.w, stack, f);
		if (stack == PYRO_NO_ID)
			return PYRO_NO_ID;
	}
	return stack;
}

static int blocks_grow_unlocked(void)
{
	size_t cap = T.cap_blocks ? T.cap_blocks * 2 : 4096, i;
	struct block *nb = calloc(cap, sizeof(*nb));

	if (!nb)
		return -ENOMEM;
	for (i = 0; i < T.cap_blocks; i++) {
		size_t j;

		if (!T.blocks[i].ptr)
			continue;
		for (j = pyro_hash_mix(T.blocks[i].ptr) & (cap - 1); nb[j].ptr; j = (j + 1) & (cap - 1))
			;
		nb[j] = T.blocks[i];
	}
	free(T.blocks);
	T.blocks = nb;
	T.cap_blocks = cap;
	return 0;
}

static size_t block_find_unlocked(uintptr_t p)
{
	size_t j, mask = T.cap_blocks - 1;

	if (!T.cap_blocks)
		return SIZE_MAX;
	for (j = pyro_hash_mix(p) & mask; T.blocks[j].ptr; j = (j + 1) & mask)
		if (T.blocks[j].ptr == p)
			return j;
	return SIZE_MAX;
}

/* Backward-shift deletion keeps probe chains whole without tombstones. */
static void block_remove_unlocked(size_t j)
{
	size_t mask = T.cap_blocks - 1, k = j;

	for (;;) {
		size_t home;

		k = (k + 1) & mask;
		if (!T.blocks[k].ptr)
			break;
		home = pyro_hash_mix(T.blocks[k].ptr) & mask;
		if (((k - home) & mask) >= ((k - j) & mask)) {
			T.blocks[j] = T.blocks[k];
			j = k;
		}
	}
	T.blocks[j].ptr = 0;
	T.nblocks--;
}

static void forget_unlocked(size_t j, uint64_t t)
{
	struct block *b = &T.blocks[j];
	struct site *s = &T.sites[b->site];

	touch_unlocked(s);
	s->s.freed_bytes += b->weight;
	if (t - b->t_ns < T.o.churn_ns)
		s->s.temp_bytes += b->weight;
	s->s.live_bytes -= b->weight;
	T.live -= b->weight;
	filter_remove_unlocked((const void *)b->ptr);
	block_remove_unlocked(j);
}

void trk_alloc(void *ptr, uint64_t weight, const struct trk_pyframe *frames, int nframes)
{
	struct site *s;
	uint32_t stack;
	uint64_t t;
	size_t j;

	trk_in_agent++;
	pthread_mutex_lock(&T.lock);
	if (!trk_active || T.stopped)
		goto out;
	t = mono_ns() - T.t0;
	/* A block the allocator handed out again without our seeing its free
	 * (freed through a path that is not hooked): it is gone. */
	if ((j = block_find_unlocked((uintptr_t)ptr)) != SIZE_MAX)
		forget_unlocked(j, t);
	stack = stack_unlocked(frames, nframes);
	if (T.w.failed) {
		fail_unlocked(pyro_err_msg());
		goto out;
	}
	if (!(s = site_unlocked(stack)) || ((T.nblocks + 1) * 2 > T.cap_blocks && blocks_grow_unlocked() < 0) ||
	    filter_fit_unlocked(T.nblocks + 1) < 0) {
		fail_unlocked("out of memory");
		goto out;
	}
	touch_unlocked(s);
	s->s.allocs += weight >= 1 ? 1 : 0;
	s->s.alloc_bytes += weight;
	s->s.live_bytes += weight;
	T.live += weight;
	for (j = pyro_hash_mix((uintptr_t)ptr) & (T.cap_blocks - 1); T.blocks[j].ptr; j = (j + 1) & (T.cap_blocks - 1))
		;
	T.blocks[j].ptr = (uintptr_t)ptr;
	T.blocks[j].site = (uint32_t)(s - T.sites);
	T.blocks[j].weight = weight;
	T.blocks[j].t_ns = t;
	T.nblocks++;
	filter_add_unlocked(ptr);
	account_unlocked(t);
out:
	pthread_mutex_unlock(&T.lock);
	trk_in_agent--;
}

void trk_free_slow(void *ptr)
{
	size_t j;

	if (!ptr || trk_in_agent)
		return;
	trk_in_agent++;
	pthread_mutex_lock(&T.lock);
	if (trk_active && !T.stopped && (j = block_find_unlocked((uintptr_t)ptr)) != SIZE_MAX) {
		uint64_t t = mono_ns() - T.t0;

		forget_unlocked(j, t);
		account_unlocked(t);
	}
	pthread_mutex_unlock(&T.lock);
	trk_in_agent--;
}

/* fork: the lock is taken around it so the child never inherits it held;
 * the child stops recording (its parent owns the file). */
static void atfork_prepare(void)
{
	trk_in_agent++;
	pthread_mutex_lock(&T.lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&T.lock);
	trk_in_agent--;
}

static void atfork_child(void)
{
	trk_active = 0;
	trk_always = UINT64_MAX;
	T.stopped = 1;
	if (T.w.fd >= 0) {
		close(T.w.fd);
		T.w.fd = -1;
	}
	pthread_mutex_unlock(&T.lock);
	trk_in_agent--;
}

int trk_start(const char *path, const struct pyro_header *h, const struct trk_opts *o, trk_describe_fn describe)
{
	static int atfork_done;
	int rc = 0;

	trk_in_agent++;
	pthread_mutex_lock(&T.lock);
	if (T.started && !T.stopped) {
		rc = pyro_err_set(EBUSY, "memory tracking is already running in this process");
		goto out;
	}
	if (T.started)
		goto busy_release;
	goto fresh;
busy_release:
	/* A finished session's tables are dropped before the next starts. */
	pthread_mutex_unlock(&T.lock);
	trk_release();
	pthread_mutex_lock(&T.lock);
fresh:
	T.o = *o;
	if (!T.o.exact && !T.o.sample_bytes)
		T.o.sample_bytes = TRK_DEFAULT_SAMPLE;
	if (!T.o.churn_ns)
		T.o.churn_ns = TRK_DEFAULT_CHURN_NS;
	T.describe = describe;
	T.file = path != NULL;
	rc = pyro_writer_open(&T.w, path ? path : "/dev/null", h);
	if (rc < 0)
		goto out;
	T.statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	T.t0 = mono_ns();
	T.started = 1;
	T.stopped = 0;
	T.failed = 0;
	if (!atfork_done && pthread_atfork(atfork_prepare, atfork_parent, atfork_child) == 0)
		atfork_done = 1;
	session++;
	thread_session = session;
	trk_countdown = draw(T.o.sample_bytes ? T.o.sample_bytes : 1);
	trk_always = T.o.exact ? 0 : T.o.sample_bytes;
	trk_active = 1;
	point_unlocked(0);
out:
	pthread_mutex_unlock(&T.lock);
	trk_in_agent--;
	return rc;
}

int trk_stop(int ended)
{
	int rc = 0;

	trk_in_agent++;
	pthread_mutex_lock(&T.lock);
	if (T.started && !T.stopped) {
		struct pyro_end end;

		flush_unlocked(mono_ns() - T.t0, ended);
		trk_active = 0;
		trk_always = UINT64_MAX;
		T.stopped = 1;

		memset(&end, 0, sizeof(end));
		end.duration_ns = mono_ns() - T.t0;
		if (pyro_writer_close(&T.w, T.file ? &end : NULL) < 0 && !T.failed)
			fail_unlocked(pyro_err_msg());
		rc = T.failed ? -EIO : 0;
	}
	if (T.statm_fd >= 0) {
		close(T.statm_fd);
		T.statm_fd = -1;
	}
	pthread_mutex_unlock(&T.lock);
	trk_in_agent--;
	return rc;
}

void trk_release(void)
{
	trk_in_agent++;
	pthread_mutex_lock(&T.lock);
	if (T.started && T.stopped) {
		pyro_writer_release(&T.w);
		free(T.sites);
		free(T.dirty);
		free(T.blocks);
		free(T.fcache);
		pyro_hash_release(&T.frame_cache);
		T.sites = NULL;
		T.dirty = NULL;
		T.blocks = NULL;
		T.fcache = NULL;
		T.nsites = T.cap_sites = T.ndirty = T.cap_dirty = T.nblocks = T.cap_blocks = T.nfcache = T.cap_fcache = 0;
		T.live = T.peak = T.peak_time = T.peak_ver = 0;
		T.npoints = 0;
		T.last_point = T.last_flush = T.last_point_live = 0;
		T.started = 0;
		filter_drop_unlocked();
	}
	pthread_mutex_unlock(&T.lock);
	trk_in_agent--;
}

int trk_view(struct trk_view *v)
{
	size_t i, n = 0;

	memset(v, 0, sizeof(*v));
	trk_in_agent++;
	pthread_mutex_lock(&T.lock);
	if (!T.started) {
		pthread_mutex_unlock(&T.lock);
		trk_in_agent--;
		return pyro_err_set(ESRCH, "memory tracking has not started");
	}
	v->sites = malloc((T.nsites ? T.nsites : 1) * sizeof(*v->sites));
	if (!v->sites) {
		pthread_mutex_unlock(&T.lock);
		trk_in_agent--;
		return pyro_err_set(ENOMEM, "out of memory");
	}
	for (i = 0; i < T.nsites; i++) {
		if (!T.sites[i].s.allocs)
			continue;
		v->sites[n] = T.sites[i].s;
		v->sites[n].peak_bytes = peak_of(&T.sites[i]);
		n++;
	}
	v->nsites = n;
	v->tables = &T.w.tables;
	v->live_bytes = T.live;
	v->peak_bytes = T.peak;
	v->peak_time_ns = T.peak_time;
	v->time_ns = mono_ns() - T.t0;
	v->sample_bytes = T.o.sample_bytes;
	v->exact = T.o.exact;
	return 0; /* the lock is held until trk_view_end() */
}

void trk_view_end(struct trk_view *v)
{
	free(v->sites);
	v->sites = NULL;
	pthread_mutex_unlock(&T.lock);
	trk_in_agent--;
}

const char *trk_failure(void)
{
	return T.failed ? T.failure : NULL;
}
