/*
 * native_tid.c - kernel thread ids for CPython versions that do not record
 * them (3.6 to 3.10 keep only pthread_self() in the thread state).
 *
 * On Linux a pthread_t is the address of the C library's thread descriptor,
 * which holds the kernel tid at an offset fixed for a given C library and
 * architecture (glibc x86-64: 0x2d0) but not across them. Rather than
 * hard-code it, the offset is found from the target itself: the smallest
 * aligned offset at which every known thread's descriptor holds a live
 * thread id of the target, all of them different. It is looked for again
 * once more threads exist, when a single thread could not rule out a second
 * field holding the same number (older glibc kept the pid next to the tid).
 * Threads sharing a pthread_t count once: a thread state made for a new
 * thread carries its creator's until the thread starts. Nothing here
 * writes to the target.
 */
#include "cpython/target.h"
#include "proc/task.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_BYTES 2048 /* glibc's tid sits at 0x2d0 (x86-64) or 0xd0 (aarch64) */
#define SCAN_THREADS 64
#define RETRY_SAMPLES 100

static int is_live_tid(const pid_t *tids, size_t n, uint32_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((uint32_t)tids[i] == v)
			return 1;
	return 0;
}

/* Find the tid offset from the threads of this sample. Returns 0 if there
 * was nothing to search yet (no thread states), 1 if it searched. */
static int discover(struct cpy_target *t, const struct cpy_sample *s)
{
	uint8_t (*desc)[SCAN_BYTES];
	uint8_t ok[SCAN_THREADS];
	pid_t *tids = NULL;
	size_t ntids = 0, nthreads = s->nthreads < SCAN_THREADS ? s->nthreads : SCAN_THREADS, i, j, off;

	if (nthreads == 0)
		return 0;
	desc = malloc(nthreads * sizeof(*desc));
	if (!desc)
		return 1;
	if (proc_task_list(t->pid, &tids, &ntids) < 0) {
		free(desc);
		return 1;
	}
	for (i = 0; i < nthreads; i++) {
		/* A thread state made for a new thread briefly carries its
		 * creator's pthread_t (_PyThreadState_Prealloc): read each
		 * descriptor once. */
		for (j = 0; j < i && s->threads[j].thread_id != s->threads[i].thread_id; j++)
			;
		ok[i] = j == i && s->threads[i].thread_id &&
			proc_read(&t->mem, s->threads[i].thread_id, desc[i], SCAN_BYTES) == 0;
	}
	for (off = 0; off + 4 <= SCAN_BYTES; off += 4) {
		size_t used = 0;
		int good = 1;

		for (i = 0; i < nthreads && good; i++) {
			uint32_t v;

			if (!ok[i])
				continue;
			memcpy(&v, desc[i] + off, 4);
			good = v != 0 && is_live_tid(tids, ntids, v);
			for (j = 0; j < i && good; j++) {
				uint32_t w;

				memcpy(&w, desc[j] + off, 4);
				good = !ok[j] || w != v;
			}
			used++;
		}
		if (good && used > 0) {
			if (getenv("PYROMETER_DEBUG"))
				fprintf(stderr, "pyrometer: debug: kernel tid at offset %zu of the pthread descriptor "
					"(checked on %zu threads)\n", off, used);
			t->tid_offset = (uint32_t)off;
			t->tid_offset_threads = (uint32_t)used;
			break;
		}
	}
	free(tids);
	free(desc);
	return 1;
}

/* Whether the sample has two threads with different pthread_t values. */
static int several_os_threads(const struct cpy_sample *s)
{
	size_t i;

	for (i = 1; i < s->nthreads; i++)
		if (s->threads[i].thread_id != s->threads[0].thread_id)
			return 1;
	return 0;
}

void cpy_resolve_native_tids(struct cpy_target *t, struct cpy_sample *s)
{
	size_t i, kept;

	if (t->layout.tstate.native_thread_id != CPY_FIELD_NONE)
		return;
	/* A failed search costs a directory listing and a read per thread:
	 * after one, wait RETRY_SAMPLES samples before the next. */
	if ((t->tid_offset == CPY_FIELD_NONE || (t->tid_offset_threads < 2 && several_os_threads(s))) &&
	    t->sample_gen >= t->tid_offset_retry_at) {
		uint32_t before = t->tid_offset_threads;

		if (discover(t, s) && (t->tid_offset == CPY_FIELD_NONE || t->tid_offset_threads == before))
			t->tid_offset_retry_at = t->sample_gen + RETRY_SAMPLES;
	}
	for (i = 0, kept = 0; i < s->nthreads; i++) {
		uint32_t v = 0;
		int gone = 0;

		if (t->tid_offset != CPY_FIELD_NONE && s->threads[i].thread_id)
			gone = proc_read(&t->mem, s->threads[i].thread_id + t->tid_offset, &v, 4) < 0 || v == 0;
		/* The kernel zeroes the tid as the thread exits (and its stack,
		 * descriptor included, may be unmapped): a thread that ended
		 * since its frames were walked is left out, rather than shown
		 * as a thread of its own with no tid. */
		if (gone)
			continue;
		s->threads[i].native_id = v;
		s->threads[kept++] = s->threads[i];
	}
	s->nthreads = kept;
}
