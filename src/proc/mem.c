/*
 * mem.c - process_vm_readv with a per-sample page cache.
 */
#include "proc/mem.h"
#include "proc/fs.h"
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

int proc_mem_init(struct proc_mem *m, pid_t pid)
{
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->gen = 1;
	m->pages = calloc(PROC_CACHE_PAGES, sizeof(*m->pages));
	if (!m->pages)
		return pyro_err_set(ENOMEM, "out of memory for the page cache");
	return 0;
}

void proc_mem_release(struct proc_mem *m)
{
	free(m->pages);
	memset(m, 0, sizeof(*m));
}

void proc_mem_invalidate(struct proc_mem *m)
{
	m->gen++;
	memcpy(m->prefetch, m->used, m->nused * sizeof(m->used[0]));
	m->nprefetch = m->nused;
	m->nused = 0;
}

static struct proc_page *slot_of(struct proc_mem *m, uint64_t page_addr)
{
	return &m->pages[(page_addr / PROC_PAGE_SIZE) % PROC_CACHE_PAGES];
}

static void note_used(struct proc_mem *m, uint64_t page_addr)
{
	if (m->nused < PROC_PREFETCH_MAX)
		m->used[m->nused++] = page_addr;
}

int proc_mem_prefetch(struct proc_mem *m)
{
	uint64_t addr[PROC_PREFETCH_MAX];
	size_t len[PROC_PREFETCH_MAX];
	void *dst[PROC_PREFETCH_MAX];
	uint8_t ok[PROC_PREFETCH_MAX];
	struct proc_page *pg[PROC_PREFETCH_MAX];
	size_t i, n = 0;
	int rc;

	for (i = 0; i < m->nprefetch; i++) {
		struct proc_page *p = slot_of(m, m->prefetch[i]);

		if (p->gen == m->gen)
			continue; /* two pages for one slot: the first wins */
		p->gen = m->gen;
		p->addr = m->prefetch[i];
		pg[n] = p;
		addr[n] = m->prefetch[i];
		len[n] = PROC_PAGE_SIZE;
		dst[n] = p->data;
		n++;
	}
	m->nprefetch = 0;
	if (n == 0)
		return 0;
	rc = proc_readv(m, n, addr, len, dst, ok);
	for (i = 0; i < n; i++) {
		if (rc == 0 && ok[i])
			note_used(m, addr[i]);
		else
			pg[i]->gen = 0;
	}
	return rc;
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

static struct proc_page *cache_page(struct proc_mem *m, uint64_t page_addr, int *rc)
{
	struct proc_page *pg = slot_of(m, page_addr);

	if (pg->gen == m->gen && pg->addr == page_addr)
		return pg;
	*rc = proc_read_direct(m, page_addr, pg->data, PROC_PAGE_SIZE);
	if (*rc < 0) {
		pg->gen = 0;
		return NULL;
	}
	pg->addr = page_addr;
	pg->gen = m->gen;
	note_used(m, page_addr);
	return pg;
}

int proc_read(struct proc_mem *m, uint64_t addr, void *dst, size_t len)
{
	uint8_t *out = dst;

	if (len > 2 * PROC_PAGE_SIZE || addr + len < addr)
		return proc_read_direct(m, addr, dst, len);
	while (len > 0) {
		uint64_t page = addr & ~(uint64_t)(PROC_PAGE_SIZE - 1);
		size_t in = (size_t)(addr - page);
		size_t n = PROC_PAGE_SIZE - in < len ? PROC_PAGE_SIZE - in : len;
		struct proc_page *pg;
		int rc = 0;

		pg = cache_page(m, page, &rc);
		if (!pg) {
			/* The page may be partly unmapped; the bytes asked for may
			 * still be readable. */
			rc = proc_read_direct(m, addr, out, len);
			return rc;
		}
		memcpy(out, pg->data + in, n);
		out += n;
		addr += n;
		len -= n;
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
