/*
 * native.c - libpyrometer_native.so, the malloc interposer of
 * `record --memory=native`: preloaded (LD_PRELOAD) into the program, it
 * takes over malloc, calloc, realloc, free and the aligned allocators, so
 * that the memory agent also sees what C extensions allocate outside
 * Python's allocators (a NumPy array's data, a C library's buffers). The
 * agent connects through pyro_native_set_sink(); until it does, and after
 * it disconnects, every call only forwards to glibc.
 *
 * It must not change what the program gets: every block comes from glibc's
 * own allocator (the __libc_* entry points, so there is no dlsym bootstrap
 * and no allocation of its own), errors and errno are glibc's, and no lock
 * is taken here. It must not recurse: a sink call that allocates gets
 * plain glibc behind this thread's guard. glibc only (the __libc_* names).
 */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>

#define NATIVE_API __attribute__((visibility("default")))

/* Same layout as in agent.c: the agent's contract with this library. */
struct pyro_native_sink {
	void (*alloc)(void *p, size_t n); /* a block of n bytes was allocated at p */
	void (*free)(void *p);            /* p is about to be freed */
};

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t nmemb, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);
extern void *__libc_valloc(size_t n);
extern void *__libc_pvalloc(size_t n);

/* The agent's sink, or NULL (borrowed: the agent's is static and its module
 * is never unloaded). Written by pyro_native_set_sink() with a release
 * store and read with an acquire load, which on x86-64 is a plain load: the
 * fast path costs one load and a branch. */
static const struct pyro_native_sink *native_sink;

/* Nonzero while this thread is inside a sink call, so that what the sink
 * allocates or frees is not reported back to it. Initial-exec: this library
 * is loaded at startup, so its TLS is static and reading it never calls
 * malloc. Touched only while a sink is set. */
static __thread int native_in_sink __attribute__((tls_model("initial-exec")));

/* Report a new block; errno is saved around the sink, which must not change
 * it for the program (a successful malloc leaves errno alone). Out of line:
 * the callers' fast path is only the load in report_alloc(). */
static __attribute__((noinline)) void sink_alloc(const struct pyro_native_sink *s, void *p, size_t n)
{
	int saved;

	if (native_in_sink)
		return;
	native_in_sink = 1;
	saved = errno;
	s->alloc(p, n);
	errno = saved;
	native_in_sink = 0;
}

static __attribute__((noinline)) void sink_free(const struct pyro_native_sink *s, void *p)
{
	int saved;

	if (native_in_sink)
		return;
	native_in_sink = 1;
	saved = errno;
	s->free(p);
	errno = saved;
	native_in_sink = 0;
}

static inline void report_alloc(void *p, size_t n)
{
	const struct pyro_native_sink *s = __atomic_load_n(&native_sink, __ATOMIC_ACQUIRE);

	if (__builtin_expect(s != NULL, 0) && p)
		sink_alloc(s, p, n);
}

/* Report a block about to be freed: before glibc has it back, since from
 * then on another thread may be handed the same address. */
static inline void report_free(void *p)
{
	const struct pyro_native_sink *s = __atomic_load_n(&native_sink, __ATOMIC_ACQUIRE);

	if (__builtin_expect(s != NULL, 0) && p)
		sink_free(s, p);
}

/* Set (or with NULL, clear) the sink that sees every allocation and free
 * from now on. The sink must stay valid for the life of the process: a
 * thread that read the old pointer just before the change may still call
 * it. Never fails. */
NATIVE_API void pyro_native_set_sink(const struct pyro_native_sink *sink)
{
	__atomic_store_n(&native_sink, sink, __ATOMIC_RELEASE);
}

NATIVE_API void *malloc(size_t n)
{
	void *p = __libc_malloc(n);

	report_alloc(p, n);
	return p;
}

NATIVE_API void *calloc(size_t nmemb, size_t size)
{
	void *p = __libc_calloc(nmemb, size);
	size_t n;

	/* On overflow glibc has failed (NULL, ENOMEM) and there is nothing to report. */
	if (p && !__builtin_mul_overflow(nmemb, size, &n))
		report_alloc(p, n);
	return p;
}

static void *native_realloc(void *old, size_t n)
{
	void *p;

	/* Reported freed first, even though a failed realloc keeps the old
	 * block: the other order would let another thread's new block at the
	 * same address be dropped. A failed realloc then under-counts. */
	report_free(old);
	p = __libc_realloc(old, n);
	report_alloc(p, n);
	return p;
}

NATIVE_API void *realloc(void *old, size_t n)
{
	return native_realloc(old, n);
}

NATIVE_API void *reallocarray(void *old, size_t nmemb, size_t size)
{
	size_t n;

	if (__builtin_mul_overflow(nmemb, size, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	return native_realloc(old, n);
}

NATIVE_API void free(void *p)
{
	report_free(p);
	__libc_free(p);
}

NATIVE_API void *memalign(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);

	report_alloc(p, n);
	return p;
}

/* glibc 2.36's aligned_alloc is its memalign (same entry point). */
NATIVE_API void *aligned_alloc(size_t align, size_t n)
{
	void *p = __libc_memalign(align, n);

	report_alloc(p, n);
	return p;
}

/* Returns 0, EINVAL (align not a power of two multiple of sizeof(void *))
 * or ENOMEM; *out is set only on success, and errno is left alone, as in
 * glibc. */
NATIVE_API int posix_memalign(void **out, size_t align, size_t n)
{
	int saved = errno;
	void *p;

	if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0 || align == 0)
		return EINVAL;
	p = __libc_memalign(align, n);
	if (!p) {
		errno = saved;
		return ENOMEM;
	}
	report_alloc(p, n);
	*out = p;
	return 0;
}

NATIVE_API void *valloc(size_t n)
{
	void *p = __libc_valloc(n);

	report_alloc(p, n);
	return p;
}

/* The block is n rounded up to whole pages (one page for 0); reported as
 * asked, like the others, so sizes mean what the program requested. */
NATIVE_API void *pvalloc(size_t n)
{
	void *p = __libc_pvalloc(n);

	report_alloc(p, n);
	return p;
}
