/*
 * mem.c - process_vm_readv with a per-sample block cache.
 */
#include "proc/mem.h"
#include "proc/fs.h"
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#define WAYS 2u
#define SETS (PROC_CACHE_BLOCKS / WAYS)
#define BLOCK_MASK ((uint64_t)PROC_BLOCK_SIZE - 1)
#define DIRECT_MAX 8192u /* larger reads bypass the cache */

int proc_mem_init(struct proc_mem *m, pid_t pid)
{
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->gen = 1;
	m->blocks = calloc(PROC_CACHE_BLOCKS, sizeof(*m->blocks));
	m->used = calloc(PROC_PREFETCH_MAX, sizeof(*m->used));
	m->prefetch = calloc(PROC_PREFETCH_MAX, sizeof(*m->prefetch));
	m->iov = calloc(2 * PROC_READV_MAX, sizeof(*m->iov));
	m->slot = calloc(PROC_PREFETCH_MAX, sizeof(*m->slot));
	if (!m->blocks || !m->used || !m->prefetch || !m->iov || !m->slot) {
		proc_mem_release(m);
		return pyro_err_set(ENOMEM, "out of memory for the block cache");
	}
	return 0;
}

void proc_mem_release(struct proc_mem *m)
{
	free(m->blocks);
	free(m->used);
	free(m->prefetch);
	free(m->iov);
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

void proc_mem_invalidate(struct proc_mem *m)
{
	uint64_t *t = m->prefetch;

	m->gen++;
	m->prefetch = m->used;
	m->nprefetch = m->nused;
	m->used = t;
	m->nused = 0;
	m->nrg = 0;
	m->guards_read = 0;
}

void proc_mem_guard(struct proc_mem *m, uint64_t addr, size_t len)
{
	size_t k, i, oldest = 0;

	if (len == 0 || len > PROC_GUARD_BYTES)
		return;
	/* Walks ask in the order they asked last time: look where the last
	 * lookup ended first. */
	for (k = 0; k < m->nguard; k++) {
		i = (m->guard_cursor + k) % m->nguard;
		if (m->guard[i].addr == addr) {
			m->guard_cursor = i + 1;
			m->guard[i].asked = m->gen;
			if (m->guard[i].len < len)
				m->guard[i].len = (uint32_t)len;
			return;
		}
		if (m->guard[i].asked < m->guard[oldest].asked)
			oldest = i;
	}
	if (m->nguard < PROC_GUARD_MAX)
		oldest = m->nguard++;
	else if (m->guard[oldest].asked == m->gen)
		return; /* full of this sample's own */
	m->guard[oldest].addr = addr;
	m->guard[oldest].len = (uint32_t)len;
	m->guard[oldest].asked = m->gen;
}

int proc_mem_guard_get(struct proc_mem *m, uint64_t addr, size_t len, void *dst, void *last)
{
	size_t lo = 0, hi = m->nrg;

	if (!m->guards_read)
		return 0;
	while (lo < hi) { /* the first region at or after addr */
		size_t mid = lo + (hi - lo) / 2;

		if (m->rg_addr[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->nrg || m->rg_addr[lo] != addr || m->rg_len[lo] < len ||
	    (!last && memcmp(m->rg_first[lo], m->rg_last[lo], len) != 0))
		return 0;
	memcpy(dst, m->rg_first[lo], len);
	if (last)
		memcpy(last, m->rg_last[lo], len);
	return 1;
}

static int cmp_guard(const void *a, const void *b)
{
	uint64_t x = ((const struct proc_guard *)a)->addr, y = ((const struct proc_guard *)b)->addr;

	return x < y ? -1 : x > y;
}

/* The guards this sample reads: those asked for in the last PROC_GUARD_KEEP
 * samples (older ones are dropped), ascending, grouped into runs of regions
 * less than PROC_GUARD_GAP apart. */
static void take_guards(struct proc_mem *m)
{
	size_t i, n = 0;
	uint64_t end = 0;

	for (i = 0; i < m->nguard; i++)
		if (m->guard[i].asked + PROC_GUARD_KEEP >= m->gen)
			m->guard[n++] = m->guard[i];
	m->nguard = n;
	m->guard_cursor = 0;
	qsort(m->guard, n, sizeof(*m->guard), cmp_guard);
	m->nrun = 0;
	for (i = 0; i < n; i++) {
		m->rg_addr[i] = m->guard[i].addr;
		m->rg_len[i] = m->guard[i].len;
		/* Overlapping regions (a frame's old header and a new one) are
		 * read apart: a local buffer takes each byte once. */
		if (m->nrun && m->rg_addr[i] >= end && m->rg_addr[i] - end < PROC_GUARD_GAP) {
			m->run_len[m->nrun - 1] += m->rg_addr[i] + m->rg_len[i] - end;
		} else {
			m->run_len[m->nrun++] = m->rg_len[i];
		}
		m->rg_run[i] = (uint32_t)(m->nrun - 1);
		end = m->rg_addr[i] + m->rg_len[i];
	}
	m->nrg = n;
	m->guards_read = 0;
}

static struct proc_block *set_of(struct proc_mem *m, uint64_t block)
{
	return &m->blocks[((block / PROC_BLOCK_SIZE) % SETS) * WAYS];
}

/* The cached copy of a block, or NULL. */
static struct proc_block *block_hit(struct proc_mem *m, uint64_t block)
{
	struct proc_block *set = set_of(m, block);
	unsigned w;

	for (w = 0; w < WAYS; w++)
		if (set[w].gen == m->gen && set[w].addr == block)
			return &set[w];
	return NULL;
}

/* Where to load a block that missed: a way not in use this generation, or
 * else NULL (both ways already hold blocks of this sample). */
static struct proc_block *block_free(struct proc_mem *m, uint64_t block)
{
	struct proc_block *set = set_of(m, block);
	unsigned w;

	for (w = 0; w < WAYS; w++)
		if (set[w].gen != m->gen)
			return &set[w];
	return NULL;
}

/* Note that this sample read from b, for the next sample's prefetch. */
static void touch(struct proc_mem *m, struct proc_block *b)
{
	if (b->used == m->gen)
		return;
	b->used = m->gen;
	if (m->nused < PROC_PREFETCH_MAX)
		m->used[m->nused++] = b->addr;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The guards as iovecs, twice: first copies, then last copies; one remote
 * region per run, locally each guard's buffer and the gaps between them in
 * a scratch buffer. *nremote gets the remote iovecs, *bytes the bytes of one
 * pass; returns the local iovecs. */
static size_t guard_iov(struct proc_mem *m, struct iovec *local, struct iovec *remote, size_t *nremote,
			size_t *bytes)
{
	size_t g, pass, nl = 0, nr = 0;

	*bytes = 0;
	for (pass = 0; pass < 2; pass++)
		for (g = 0; g < m->nrg; g++) {
			uint64_t at = m->rg_addr[g];

			if (g == 0 || m->rg_run[g] != m->rg_run[g - 1]) {
				remote[nr].iov_base = (void *)(uintptr_t)at;
				remote[nr].iov_len = m->run_len[m->rg_run[g]];
				*bytes += pass ? 0 : remote[nr].iov_len;
				nr++;
			} else {
				uint64_t prev_end = m->rg_addr[g - 1] + m->rg_len[g - 1];

				if (at > prev_end) {
					local[nl].iov_base = m->rg_gap;
					local[nl].iov_len = at - prev_end;
					nl++;
				}
			}
			local[nl].iov_base = pass ? m->rg_last[g] : m->rg_first[g];
			local[nl].iov_len = m->rg_len[g];
			nl++;
		}
	*nremote = nr;
	return nl;
}

/* Drop the guards of the run in which a read of r bytes of guard_iov()
 * stopped. */
static void drop_failed_run(struct proc_mem *m, size_t r)
{
	size_t k, g, i, n = 0;

	for (k = 0; k < 2 * m->nrun; k++) {
		if (r < m->run_len[k % m->nrun])
			break;
		r -= m->run_len[k % m->nrun];
	}
	if (k == 2 * m->nrun)
		return;
	for (g = 0; g < m->nrg; g++)
		if (m->rg_run[g] == k % m->nrun)
			for (i = 0; i < m->nguard; i++)
				if (m->guard[i].addr == m->rg_addr[g])
					m->guard[i].addr = 0; /* no guard is at 0 */
	for (i = 0; i < m->nguard; i++)
		if (m->guard[i].addr != 0)
			m->guard[n++] = m->guard[i];
	m->nguard = n;
}

/* Read the blocks blk[0..n) (ascending, each with a free way) in as few
 * system calls as possible, runs of adjacent blocks as one remote region.
 * Blocks read are made valid; the rest are left invalid. With guarded, the
 * first call reads the guards first, twice, before its blocks;
 * guards_read then says whether they were read. A guard that cannot be
 * read (its memory gone) is dropped, and the blocks read without guards.
 * Returns 0, or -ESRCH/-EPERM. */
static int load_blocks(struct proc_mem *m, const uint64_t *blk, struct proc_block **slot, size_t n, int guarded)
{
	struct iovec *local = m->iov, *remote = m->iov + PROC_READV_MAX;
	size_t i = 0;

	if (!m->nrg || n + 4 * m->nrg > PROC_READV_MAX)
		guarded = 0;
	while (i < n || guarded) {
		size_t nl = 0, nr = 0, first = i, j, lead = 0, gbytes = 0;
		ssize_t r;

		if (guarded) {
			nl = guard_iov(m, local, remote, &nr, &gbytes);
			lead = nr;
		}
		for (; i < n && nl < PROC_READV_MAX; i++) {
			if (nr > lead && blk[i] == (uint64_t)(uintptr_t)remote[nr - 1].iov_base + remote[nr - 1].iov_len) {
				remote[nr - 1].iov_len += PROC_BLOCK_SIZE;
			} else {
				if (nr == PROC_READV_MAX)
					break;
				remote[nr].iov_base = (void *)(uintptr_t)blk[i];
				remote[nr].iov_len = PROC_BLOCK_SIZE;
				nr++;
			}
			local[nl].iov_base = slot[i]->data;
			local[nl].iov_len = PROC_BLOCK_SIZE;
			nl++;
		}
		m->syscalls++;
		r = process_vm_readv(m->pid, local, (unsigned long)nl, remote, (unsigned long)nr, 0);
		if (r < 0 && (errno == ESRCH || errno == EPERM))
			return -errno;
		if (r < 0)
			r = 0; /* the first region is unreadable: its blocks stay unloaded */
		m->bytes += (uint64_t)r;
		if (guarded) {
			guarded = 0;
			if ((size_t)r < 2 * gbytes) {
				/* A guard is unmapped (a frame freed, a thread gone):
				 * forget it and read the blocks alone. */
				drop_failed_run(m, (size_t)r);
				i = first;
				continue;
			}
			m->guards_read = 1;
			r -= (ssize_t)(2 * gbytes);
		}
		/* Blocks read whole, in order; a read stops at the first region
		 * it cannot finish, and whatever follows is read on demand. */
		for (j = first; j < i; j++) {
			if ((size_t)r >= PROC_BLOCK_SIZE) {
				slot[j]->addr = blk[j];
				slot[j]->gen = m->gen;
				r -= (ssize_t)PROC_BLOCK_SIZE;
			} else {
				slot[j]->gen = 0;
			}
		}
	}
	return 0;
}

int proc_mem_prefetch(struct proc_mem *m)
{
	uint64_t *blk = m->prefetch; /* compacted in place */
	struct proc_block **slot = m->slot;
	size_t i, n = 0;

	take_guards(m);
	qsort(m->prefetch, m->nprefetch, sizeof(*m->prefetch), cmp_u64);
	for (i = 0; i < m->nprefetch; i++) {
		struct proc_block *b;

		if (i > 0 && m->prefetch[i] == m->prefetch[i - 1])
			continue;
		b = block_free(m, m->prefetch[i]);
		if (!b)
			continue; /* more blocks than ways in one set: the first win */
		b->gen = m->gen; /* claimed; load_blocks settles it */
		b->addr = m->prefetch[i];
		blk[n] = m->prefetch[i];
		slot[n] = b;
		n++;
	}
	m->nprefetch = 0;
	return load_blocks(m, blk, slot, n, 1);
}

int proc_mem_reload(struct proc_mem *m)
{
	size_t n = m->nused < PROC_PREFETCH_MAX ? m->nused : PROC_PREFETCH_MAX;

	memcpy(m->prefetch, m->used, n * sizeof(*m->prefetch));
	m->nprefetch = n;
	m->gen++; /* touch() lists the blocks again: the next prefetch drops repeats */
	return proc_mem_prefetch(m);
}

static int errno_rc(void)
{
	int e = errno;

	if (e == ESRCH || e == EPERM || e == EFAULT || e == ENOMEM)
		return e == ENOMEM ? -EFAULT : -e;
	return -EFAULT;
}

int proc_read_direct(struct proc_mem *m, uint64_t addr, void *dst, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct iovec local = { (uint8_t *)dst + done, len - done };
		struct iovec remote = { (void *)(uintptr_t)(addr + done), len - done };
		ssize_t r;

		m->syscalls++;
		r = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno_rc();
		}
		if (r == 0)
			return -EFAULT;
		done += (size_t)r;
		m->bytes += (uint64_t)r;
	}
	return 0;
}

int proc_read(struct proc_mem *m, uint64_t addr, void *dst, size_t len)
{
	uint64_t blk[DIRECT_MAX / PROC_BLOCK_SIZE + 1];
	struct proc_block *slot[DIRECT_MAX / PROC_BLOCK_SIZE + 1];
	uint64_t first, b;
	uint8_t *out = dst;
	size_t n = 0, k, nblocks;

	if (len == 0)
		return 0;
	if (len > DIRECT_MAX || addr + len < addr)
		return proc_read_direct(m, addr, dst, len);
	first = addr & ~BLOCK_MASK;
	nblocks = (size_t)((((addr + len - 1) & ~BLOCK_MASK) - first) / PROC_BLOCK_SIZE) + 1;
	/* Load the blocks missing, all in one system call. Counted, not
	 * compared: a torn pointer may sit at the very top of the address
	 * space, where the next block's address wraps to 0. */
	for (k = 0, b = first; k < nblocks; k++, b += PROC_BLOCK_SIZE) {
		struct proc_block *s;

		if (block_hit(m, b))
			continue;
		s = block_free(m, b);
		if (!s) {
			/* A set already full of this sample's blocks. */
			while (n > 0)
				slot[--n]->gen = 0;
			return proc_read_direct(m, addr, dst, len);
		}
		s->gen = m->gen;
		s->addr = b;
		blk[n] = b;
		slot[n++] = s;
	}
	if (n) {
		size_t i;
		int rc = load_blocks(m, blk, slot, n, 0);

		if (rc < 0) {
			while (n > 0)
				slot[--n]->gen = 0; /* claimed, never loaded */
			return rc;
		}
		for (i = 0; i < n; i++)
			if (slot[i]->gen != m->gen)
				/* Part of the range is unmapped; the bytes asked
				 * for may still be readable. */
				return proc_read_direct(m, addr, dst, len);
	}
	for (k = 0, b = first; k < nblocks; k++, b += PROC_BLOCK_SIZE) {
		struct proc_block *s = block_hit(m, b);
		uint64_t from = addr > b ? addr : b;
		size_t room = PROC_BLOCK_SIZE - (size_t)(from - b), want = (size_t)(addr + len - from);

		touch(m, s);
		memcpy(out + (from - addr), s->data + (from - b), want < room ? want : room);
	}
	return 0;
}

int proc_readv(struct proc_mem *m, size_t n, const uint64_t *addr, const size_t *len, void *const *dst,
	       uint8_t *ok)
{
	struct iovec local[PROC_READV_MAX], remote[PROC_READV_MAX];
	size_t i = 0;

	memset(ok, 0, n);
	while (i < n) {
		size_t k = n - i < PROC_READV_MAX ? n - i : PROC_READV_MAX;
		size_t j;
		ssize_t r;

		for (j = 0; j < k; j++) {
			local[j].iov_base = dst[i + j];
			local[j].iov_len = len[i + j];
			remote[j].iov_base = (void *)(uintptr_t)addr[i + j];
			remote[j].iov_len = len[i + j];
		}
		m->syscalls++;
		r = process_vm_readv(m->pid, local, (unsigned long)k, remote, (unsigned long)k, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ESRCH || errno == EPERM)
				return -errno;
			/* The first region is unreadable: skip it. */
			i++;
			continue;
		}
		m->bytes += (uint64_t)r;
		/* Regions read whole are done; the one the read stopped in failed. */
		for (j = 0; j < k && (size_t)r >= len[i + j]; j++) {
			r -= (ssize_t)len[i + j];
			ok[i + j] = 1;
		}
		i += j;
		if (j < k)
			i++; /* the region that stopped the read */
	}
	return 0;
}

int proc_mem_describe(struct proc_mem *m, int rc, uint64_t addr, size_t len)
{
	char why[400];

	switch (rc) {
	case -ESRCH:
		return pyro_err_set(ESRCH, "cannot read pid %d: no such process (it has exited)", (int)m->pid);
	case -EPERM:
		proc_fs_explain_eperm(m->pid, why, sizeof(why));
		return pyro_err_set(EPERM, "permission denied reading the memory of pid %d: %s", (int)m->pid, why);
	default:
		return pyro_err_set(EFAULT, "cannot read %zu bytes at 0x%llx in pid %d: address not mapped", len,
				    (unsigned long long)addr, (int)m->pid);
	}
}
