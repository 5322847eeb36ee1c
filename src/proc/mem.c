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
	memcpy(m->guard_addr, m->guard_next, m->nguard_next * sizeof(*m->guard_addr));
	m->nguard = m->nguard_next;
	m->guard_cursor = 0;
	m->nguard_next = 0;
	m->guards_read = 0;
}

/* A walk asks for a handful of words, and asks again for the same ones when
 * it is retried: repeats are looked for among the last few only. */
#define GUARD_REPEAT_WINDOW 8u

void proc_mem_guard(struct proc_mem *m, uint64_t addr)
{
	size_t i = m->nguard_next > GUARD_REPEAT_WINDOW ? m->nguard_next - GUARD_REPEAT_WINDOW : 0;

	for (; i < m->nguard_next; i++)
		if (m->guard_next[i] == addr)
			return;
	if (m->nguard_next < PROC_GUARD_MAX)
		m->guard_next[m->nguard_next++] = addr;
}

int proc_mem_guard_held(struct proc_mem *m, uint64_t addr, uint64_t *val)
{
	size_t k;

	if (!m->guards_read || !m->nguard)
		return 0;
	/* Walks ask in the order the previous sample's walks did: start where
	 * the last lookup ended. */
	for (k = 0; k < m->nguard; k++) {
		size_t i = (m->guard_cursor + k) % m->nguard;

		if (m->guard_addr[i] == addr) {
			m->guard_cursor = i + 1;
			*val = m->guard_last[i];
			return m->guard_first[i] == m->guard_last[i];
		}
	}
	return 0;
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
	if (m->marking && b->guarded != m->gen)
		m->outside++;
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

/* The guards as iovecs, local and remote, from index at; returns how many. */
static size_t guard_iov(struct proc_mem *m, struct iovec *local, struct iovec *remote, size_t at, uint64_t *vals)
{
	size_t g;

	for (g = 0; g < m->nguard; g++) {
		local[at + g].iov_base = &vals[g];
		local[at + g].iov_len = 8;
		remote[at + g].iov_base = (void *)(uintptr_t)m->guard_addr[g];
		remote[at + g].iov_len = 8;
	}
	return m->nguard;
}

/* Read the blocks blk[0..n) (ascending, each with a free way) in as few
 * system calls as possible, runs of adjacent blocks as one remote region.
 * Blocks read are made valid; the rest are left invalid. With guarded, the
 * guard words are read first and last in the same call, around every block,
 * when all fit in one; guards_read then says whether everything was read, and
 * the blocks are marked as copied between the guards. Returns 0, or
 * -ESRCH/-EPERM. */
static int load_blocks(struct proc_mem *m, const uint64_t *blk, struct proc_block **slot, size_t n, int guarded)
{
	struct iovec *local = m->iov, *remote = m->iov + PROC_READV_MAX;
	size_t i = 0;

	if (!m->nguard || n + 2 * m->nguard > PROC_READV_MAX)
		guarded = 0;
	while (i < n) {
		size_t nl = 0, nr = 0, first = i, j, lead = 0;
		ssize_t r;

		/* A block next to a guard may join its remote region: harmless,
		 * as local and remote are separate lists. */
		if (guarded)
			nl = nr = lead = guard_iov(m, local, remote, 0, m->guard_first);
		for (; i < n && nl < PROC_READV_MAX; i++) {
			if (nr > 0 && blk[i] == (uint64_t)(uintptr_t)remote[nr - 1].iov_base + remote[nr - 1].iov_len) {
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
		if (guarded) {
			guard_iov(m, local + nl, remote + nr, 0, m->guard_last);
			nl += m->nguard;
			nr += m->nguard;
		}
		m->syscalls++;
		r = process_vm_readv(m->pid, local, (unsigned long)nl, remote, (unsigned long)nr, 0);
		if (r < 0 && (errno == ESRCH || errno == EPERM))
			return -errno;
		if (r < 0)
			r = 0; /* the first region is unreadable: its blocks stay unloaded */
		m->bytes += (uint64_t)r;
		if (guarded) {
			if ((size_t)r < 8 * lead) {
				/* A guard is unmapped (its thread gone): read the blocks alone. */
				guarded = 0;
				i = first;
				continue;
			}
			/* The last guards count only if every block before them was read. */
			m->guards_read = (size_t)r == (i - first) * PROC_BLOCK_SIZE + 16 * m->nguard;
			r -= (ssize_t)(8 * lead);
		}
		/* Blocks read whole, in order; a read stops at the first region
		 * it cannot finish, and whatever follows is read on demand. */
		for (j = first; j < i; j++) {
			if ((size_t)r >= PROC_BLOCK_SIZE) {
				slot[j]->addr = blk[j];
				slot[j]->gen = m->gen;
				slot[j]->guarded = guarded && m->guards_read ? m->gen : 0;
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

	m->guards_read = 0;
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
	/* Every block between the guards. Copying the blocks the stacks were
	 * read from first, with the last guards right after them, measured
	 * worse (docs/VERSIONS.md, "Consistent stacks"). */
	return n ? load_blocks(m, blk, slot, n, 1) : 0;
}

void proc_mem_mark(struct proc_mem *m, int on)
{
	m->marking = on;
	if (on)
		m->outside = 0;
}

int proc_mem_marked_whole(const struct proc_mem *m)
{
	return m->guards_read && m->outside == 0;
}

int proc_mem_reload(struct proc_mem *m)
{
	size_t n = m->nused < PROC_PREFETCH_MAX ? m->nused : PROC_PREFETCH_MAX;

	memcpy(m->prefetch, m->used, n * sizeof(*m->prefetch));
	m->nprefetch = n;
	memcpy(m->guard_addr, m->guard_next, m->nguard_next * sizeof(*m->guard_addr));
	m->nguard = m->nguard_next;
	m->guard_cursor = 0;
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

	if (m->marking)
		m->outside++;
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
