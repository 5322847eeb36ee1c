/*
 * target.h - a CPython process seen as data: attach, then sample its stacks.
 *
 * cpy_attach() finds the interpreter in the target's memory map, reads its
 * version, picks the layout (generated table or the target's own
 * _Py_DebugOffsets) and validates it once. cpy_sample() then walks every
 * interpreter, thread and frame using only those offsets, never writing to
 * the target and never trusting what it reads: depth is bounded, cycles and
 * impossible values end the walk and count as a torn stack.
 */
#ifndef PYRO_CPYTHON_TARGET_H
#define PYRO_CPYTHON_TARGET_H

#include "cpython/code_objects.h"
#include "cpython/layout.h"
#include "proc/mem.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CPY_MAX_INTERPRETERS 256
#define CPY_MAX_THREADS 4096
#define CPY_MAX_DEPTH 8192
/* Stacks at most this deep are guarded: read at one moment (walk.c). */
#define GUARD_DEPTH 24

struct cpy_target {
	pid_t pid;
	struct proc_mem mem;
	struct cpy_layout layout;      /* a copy: generated or from debug offsets */
	uint64_t runtime_addr;         /* &_PyRuntime in the target */
	uint64_t code_type_addr;       /* &PyCode_Type, 0 if unknown */
	struct {                       /* 3.6 (CPY_GIL_SYMBOLS): ceval.c's statics, 0 if not found */
		uint64_t locked, holder;
		uint64_t wait_lo, wait_hi; /* the span of gil_mutex and gil_cond */
	} gil36;
	uint64_t gc36;                 /* 3.6 (CPY_GC_SYMBOL): &collecting, 0 if not found */
	uint32_t hexversion;           /* PY_VERSION_HEX */
	char version[32];              /* "3.12.1" */
	const char *version_source;    /* static: "Py_Version", "sys.version", "file name", ... */
	char binary[PATH_MAX];         /* the file holding the interpreter's symbols */
	int from_debug_offsets;
	uint64_t retries;              /* stack walks redone because the stack moved */
	uint64_t guarded_walks;        /* walks read at one moment from the guards */
	int unguarded;                 /* held stopped while read (--blocking): no guards needed */
	uint32_t tid_offset;           /* of the kernel tid in a pthread descriptor (before 3.11), or NONE */
	uint32_t tid_offset_threads;   /* how many threads that offset was checked on */
	uint32_t tid_offset_retry_at;  /* sample_gen before which not to search again */
	struct cpy_code_cache codes;
	/* Walk scratch, reused every sample. */
	uint64_t *seen;                /* owned: visited-frame set, SEEN_CAP slots */
	uint32_t *seen_gen;            /* owned */
	uint32_t gen;
	uint64_t walked[GUARD_DEPTH];  /* the last walk's frames, innermost first */
	uint32_t nwalked;              /* how many it read (may exceed GUARD_DEPTH) */
	uint32_t sample_gen;           /* counts samples */
	uint32_t check_gen;            /* counts stack checks; code entries remember the last that read them */
	struct {                       /* a stack check's regions, grown as needed; all owned */
		uint64_t *addr;
		size_t *len;
		void **dst;
		uint8_t *ok;
		size_t cap;
		uint8_t *buf;          /* where the code objects' snapshots are read to */
		size_t cap_buf;
		struct cpy_code **codes;
		size_t cap_codes;
	} chk;
};

/* One frame as sampled: which code object version, and the line. */
struct cpy_frame {
	const struct cpy_code *code;   /* borrowed from the cache, valid until the next sample */
	int32_t line;
};

struct cpy_thread {
	uint64_t tstate;
	uint64_t thread_id;            /* pthread_t */
	uint64_t native_id;            /* the kernel's tid, 0 if unknown */
	int64_t interp_id;             /* the interpreter's id (0: main) */
	uint32_t first;                /* index of the leaf frame in cpy_sample.frames */
	uint32_t depth;                /* frames, leaf first */
	int torn;                      /* the walk failed a check: frames are not to be used */
	int gil;                       /* 1 holds the GIL, 0 does not, -1 unknown */
	int in_gc;                     /* holds the GIL while its interpreter collects garbage */
	uint64_t gil_lo, gil_hi;       /* where a thread waiting for its GIL sleeps (futex
					* addresses), 0 if unknown */
};

struct cpy_sample {
	struct cpy_thread *threads;    /* owned */
	size_t nthreads, cap_threads;
	struct cpy_frame *frames;      /* owned; each thread's frames, leaf first */
	size_t nframes, cap_frames;
	uint64_t *raw_code;            /* owned; scratch parallel to frames */
	int64_t *raw_unit;
	uint64_t raw_frame_first;      /* address of the innermost Python frame last walked */
	uint64_t raw_frame_second;     /* and of its caller */
	uint64_t raw_prev_first;       /* the innermost frame's link to its caller, as walked */
	size_t cap_raw;
};

/* Attach to pid. Returns 0, or negative with a message that says what to do:
 * -ESRCH no such process, -EPERM refused (with the reason), -ENOEXEC not a
 * Python process (naming what was found), -ENOTSUP an unsupported version,
 * -EAGAIN not (yet) a Python process when `launching` is set. */
int cpy_attach(struct cpy_target *t, pid_t pid, int launching);
/* Attach to a process just launched, once its interpreter is up. Between
 * attempts, wait(arg) is called: it sleeps a little and returns 0, or a
 * negative error (with its message) to stop waiting: the child exited, an
 * interrupt. An error other than "not yet" is retried until it has lasted
 * CPY_LAUNCH_SETTLE_NS: while the loader is still mapping libpython, its
 * data may sit at the wrong address for a moment and fail validation. */
#define CPY_LAUNCH_SETTLE_NS 500000000ull
int cpy_attach_launched(struct cpy_target *t, pid_t pid, int (*wait)(void *arg), void *arg);
void cpy_target_release(struct cpy_target *t);

/* PY_VERSION_HEX from the start of a sys.version text ("3.8.18 (default,
 * ...", "3.13.0rc2+ ..."), or 0 when the text does not start with a
 * CPython 3 version followed by a space or its end. */
uint32_t cpy_version_from_text(const char *s);

/* Take one sample of every thread. Returns 0 (threads may be torn: check
 * each), -ESRCH when the process is gone, or another negative error when
 * the interpreter state could not be read at all (counted by the caller). */
int cpy_sample(struct cpy_target *t, struct cpy_sample *s);
void cpy_sample_release(struct cpy_sample *s);
/* Addresses of the named symbols in the interpreter's binary (attach.c):
 * addrs[i] gets 0 for a name not found. Returns 0, or a negative error
 * when the binary cannot be opened. */
int cpy_target_symbols(const struct cpy_target *t, const char *const *names, uint64_t *addrs, size_t n);
/* Whether samples can tell which thread holds the GIL (cpy_thread.gil). */
int cpy_gil_readable(const struct cpy_target *t);

/* Fill each thread's native_id on versions whose thread state has none
 * (3.6-3.10), from the C library's thread descriptor (native_tid.c).
 * Threads whose id cannot be found get 0, until the descriptor's place is
 * known; from then on, a thread whose descriptor says it has exited is
 * removed from the sample. */
void cpy_resolve_native_tids(struct cpy_target *t, struct cpy_sample *s);

#endif
