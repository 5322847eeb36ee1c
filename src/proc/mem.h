/*
 * mem.h - reading another process's memory, never writing it.
 *
 * Reads go through process_vm_readv. A small direct-mapped page cache serves
 * the many small reads of one sample (frames sit next to each other); the
 * sampler calls proc_mem_invalidate() before each sample, so the cache never
 * returns bytes older than the current sample.
 */
#ifndef PYRO_PROC_MEM_H
#define PYRO_PROC_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_PAGE_SIZE 4096u
#define PROC_CACHE_PAGES 256u
#define PROC_READV_MAX 1024u
#define PROC_PREFETCH_MAX 128u

struct proc_page {
	uint64_t addr;  /* page-aligned remote address */
	uint64_t gen;   /* valid when equal to proc_mem.gen */
	uint8_t data[PROC_PAGE_SIZE];
};

struct proc_mem {
	pid_t pid;
	uint64_t gen;
	struct proc_page *pages; /* owned, PROC_CACHE_PAGES of them */
	uint64_t syscalls;       /* statistics */
	uint64_t bytes;
	uint64_t used[PROC_PREFETCH_MAX];     /* pages loaded in this generation */
	size_t nused;
	uint64_t prefetch[PROC_PREFETCH_MAX]; /* pages the previous generation used */
	size_t nprefetch;
};

int proc_mem_init(struct proc_mem *m, pid_t pid);
void proc_mem_release(struct proc_mem *m);
/* Drop every cached page (cheap: bumps a generation). The pages the
 * dropped generation used are remembered for proc_mem_prefetch(). */
void proc_mem_invalidate(struct proc_mem *m);
/* Load, in one system call, the pages the previous generation used: a
 * sampler reads nearly the same pages every time, and one read is cheaper
 * than one per page (and closer to a single snapshot). Pages that fail to
 * read are simply not cached. Returns 0, or -ESRCH/-EPERM. */
int proc_mem_prefetch(struct proc_mem *m);

/* Read len bytes at addr, through the cache when small. Returns 0 or
 * negative errno: -ESRCH (the process is gone), -EPERM, -EFAULT (not mapped).
 * Sets no message: callers on the hot path count failures instead, and
 * proc_mem_describe() makes one when needed. dst is unspecified on failure. */
int proc_read(struct proc_mem *m, uint64_t addr, void *dst, size_t len);
/* The same without the cache. Loops on partial reads. */
int proc_read_direct(struct proc_mem *m, uint64_t addr, void *dst, size_t len);

/* Read n regions with as few system calls as possible. ok[i] is set to 1 for
 * each region read whole, 0 otherwise. Returns 0, or -ESRCH/-EPERM when the
 * process as a whole cannot be read. */
int proc_readv(struct proc_mem *m, size_t n, const uint64_t *addr, const size_t *len, void *const *dst,
	       uint8_t *ok);

/* Set the error message for a failed read: what failed, where, and why. */
int proc_mem_describe(struct proc_mem *m, int rc, uint64_t addr, size_t len);

#endif
