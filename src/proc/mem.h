/*
 * mem.h - reading another process's memory, never writing it.
 *
 * Reads go through process_vm_readv. A cache of blocks serves the many
 * small reads of one sample (a thread state's fields, frames next to each
 * other); the sampler calls proc_mem_invalidate() before each sample, so the
 * cache never returns bytes older than the current sample, and then
 * proc_mem_prefetch() to load the blocks the previous sample used in one
 * system call.
 *
 * A block is a page. Smaller blocks copy less of what the target is writing
 * on another core (each hot cache line costs a transfer: 2 us for a hot page
 * against 0.3 us for 256 bytes, measured here), but the frames of a deep
 * stack before 3.11 lie scattered on the heap, and one remote region per
 * small block cost more than it saved (bench/sampler, depth 800: 205 us a
 * sample with 1 KiB blocks, 172 us with pages). The cache is two-way set
 * associative, and the prefetch reloads only the blocks the previous sample
 * read from, adjacent ones as one region, after reading the guards twice
 * (proc_mem_guard): small regions whose two copies, when they agree, show
 * them as they stood at one moment.
 */
#ifndef PYRO_PROC_MEM_H
#define PYRO_PROC_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define PROC_BLOCK_SIZE 4096u
#define PROC_CACHE_BLOCKS 256u   /* two-way: 128 sets */
#define PROC_READV_MAX 1024u
#define PROC_PREFETCH_MAX 1024u  /* blocks one sample's prefetch reloads */
#define PROC_GUARD_MAX 64u       /* regions the prefetch reads twice first (proc_mem_guard) */
#define PROC_GUARD_BYTES 128u    /* the largest guarded region: a frame's header */
#define PROC_GUARD_KEEP 8u       /* samples a guard is read after it was last asked for */
#define PROC_GUARD_GAP 512u      /* guards closer than this are read as one remote region */

struct proc_guard {
	uint64_t addr;
	uint32_t len;
	uint64_t asked; /* proc_mem.gen when last asked for */
};

struct proc_block {
	uint64_t addr;  /* block-aligned remote address */
	uint64_t gen;   /* valid when equal to proc_mem.gen */
	uint64_t used;  /* proc_mem.gen when last read from */
	uint8_t data[PROC_BLOCK_SIZE];
};

struct proc_mem {
	pid_t pid;
	uint64_t gen;
	struct proc_block *blocks; /* owned, PROC_CACHE_BLOCKS of them */
	uint64_t syscalls;         /* statistics */
	uint64_t bytes;
	uint64_t *used;            /* owned: blocks read from in this generation */
	size_t nused;
	uint64_t *prefetch;        /* owned: blocks the previous generation used */
	size_t nprefetch;
	struct iovec *iov;         /* owned scratch: PROC_READV_MAX local, then remote */
	struct proc_block **slot;  /* owned scratch: PROC_PREFETCH_MAX */
	/* Guards (proc_mem_guard): regions read twice, first in the prefetch's
	 * system call. guard[] is what samples ask for, kept PROC_GUARD_KEEP
	 * samples; rg_* what this sample's prefetch read. */
	struct proc_guard guard[PROC_GUARD_MAX];
	size_t nguard, guard_cursor;
	uint64_t rg_addr[PROC_GUARD_MAX];    /* ascending */
	uint32_t rg_len[PROC_GUARD_MAX];
	uint32_t rg_run[PROC_GUARD_MAX];     /* the remote region (run) each is read in */
	uint64_t run_len[PROC_GUARD_MAX];    /* bytes of each run, gaps included */
	size_t nrg, nrun;
	uint8_t rg_gap[PROC_GUARD_GAP];      /* where the bytes between guards of a run go */
	int guards_read;                     /* rg_first/rg_last hold this sample's values */
	uint8_t rg_first[PROC_GUARD_MAX][PROC_GUARD_BYTES];
	uint8_t rg_last[PROC_GUARD_MAX][PROC_GUARD_BYTES];
};

int proc_mem_init(struct proc_mem *m, pid_t pid);
void proc_mem_release(struct proc_mem *m);
/* Drop every cached block (cheap: bumps a generation). The blocks the
 * dropped generation read from are remembered for proc_mem_prefetch(). */
void proc_mem_invalidate(struct proc_mem *m);
/* Load, in one system call, the blocks the previous generation read from: a
 * sampler reads nearly the same ones every time, and one read is cheaper
 * than one per block (and closer to a single snapshot). Adjacent blocks are
 * one remote region. Blocks that fail to read are simply not cached.
 * Returns 0, or -ESRCH/-EPERM. */
int proc_mem_prefetch(struct proc_mem *m);
/* Within a sample, copy again, in one system call, every block this sample
 * has read so far, with the guards, read first: a new snapshot to walk a
 * stack again from. Returns 0, or -ESRCH/-EPERM. */
int proc_mem_reload(struct proc_mem *m);
/* Ask the next samples' prefetches to read the len bytes at addr (at most
 * PROC_GUARD_BYTES) twice, one copy after the other, before any block, in
 * the same system call: a region that reads the same both times held still
 * over a few microseconds, and every region so read held its value at one
 * moment in between (a thread's frame link and the frames it leads to: its
 * stack at that moment). A region is read in every sample until
 * PROC_GUARD_KEEP samples have passed without it being asked for again; at
 * most PROC_GUARD_MAX regions, the least recently asked for making room.
 * Regions less than PROC_GUARD_GAP apart are read as one remote region (the
 * kernel's cost is per remote region: 3.11+ frames lie next to each other). */
void proc_mem_guard(struct proc_mem *m, uint64_t addr, size_t len);
/* Copy the first len bytes this sample's prefetch read at addr (a region
 * asked for with at least that length) to dst, as its first copy read them,
 * and to last (when not NULL) as its second did. With last NULL, only if
 * both copies are the same. Returns 1 if copied, else 0 (dst unspecified). */
int proc_mem_guard_get(struct proc_mem *m, uint64_t addr, size_t len, void *dst, void *last);

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
