/*
 * writer.c - stream a profile to a .pyro file.
 *
 * Interning happens in memory; pyro_writer_flush() appends, in one write(2),
 * the strings, frames, stacks and threads added since the last flush and
 * then the pending samples, so every chunk only names ids defined before it.
 * A write failure is sticky and reported by flush and close.
 */
#include "profile/model.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(struct pyro_writer *w, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = write(w->fd, p, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			w->failed = 1;
			return pyro_err_set(errno, "cannot write the profile: %s", strerror(errno));
		}
		p += r;
		n -= (size_t)r;
		w->bytes_written += (uint64_t)r;
	}
	return 0;
}

static void put_chunk(struct pyro_buf *out, uint64_t type, const struct pyro_buf *payload)
{
	pyro_buf_uvarint(out, type);
	pyro_buf_uvarint(out, payload->len);
	pyro_buf_append(out, payload->data, payload->len);
}

int pyro_writer_open(struct pyro_writer *w, const char *path, const struct pyro_header *h)
{
	struct pyro_buf out, pl;
	size_t i;
	int rc;

	memset(w, 0, sizeof(*w));
	pyro_profile_init(&w->tables);
	pyro_buf_init(&w->samples);
	pyro_buf_init(&w->states);
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return pyro_err_set(errno, "cannot create %s: %s", path, strerror(errno));
	pyro_buf_init(&out);
	pyro_buf_init(&pl);
	pyro_buf_append(&out, PYRO_MAGIC, PYRO_MAGIC_LEN);
	pyro_buf_putc(&out, PYRO_FORMAT_MAJOR);
	pyro_buf_putc(&out, PYRO_FORMAT_MINOR);
	pyro_buf_putc(&out, 'L');
	pyro_buf_putc(&out, 0);
	pyro_buf_lstring(&pl, h->producer, strlen(h->producer));
	pyro_buf_lstring(&pl, h->python_version, strlen(h->python_version));
	pyro_buf_uvarint(&pl, h->argc);
	for (i = 0; i < h->argc; i++)
		pyro_buf_lstring(&pl, h->argv[i], strlen(h->argv[i]));
	pyro_buf_uvarint(&pl, h->pid);
	pyro_buf_uvarint(&pl, h->start_ns);
	pyro_buf_uvarint(&pl, h->mode);
	pyro_buf_uvarint(&pl, h->rate_hz);
	put_chunk(&out, PYRO_CHUNK_HEADER, &pl);
	if (out.oom || pl.oom)
		rc = pyro_err_set(ENOMEM, "out of memory writing the header");
	else
		rc = write_all(w, out.data, out.len);
	pyro_buf_release(&out);
	pyro_buf_release(&pl);
	if (rc < 0) {
		close(w->fd);
		w->fd = -1;
	}
	return rc;
}

/* Find or add an entry by content hash, probing on collisions. `same`
 * compares candidate id with the content. */
static uint32_t intern(struct pyro_hash *h, uint64_t hash, int (*same)(const struct pyro_writer *, uint32_t, const void *),
		       const struct pyro_writer *w, const void *content, uint32_t new_id, int *is_new)
{
	uint64_t key = hash | 1, id;

	*is_new = 0;
	for (;; key += 2) {
		if (!pyro_hash_get(h, key, &id))
			break;
		if (same(w, (uint32_t)id, content))
			return (uint32_t)id;
	}
	if (pyro_hash_put(h, key, new_id) < 0)
		return PYRO_NO_ID;
	*is_new = 1;
	return new_id;
}

struct str_key {
	const char *s;
	size_t n;
};

static int same_string(const struct pyro_writer *w, uint32_t id, const void *c)
{
	const struct str_key *k = c;

	return w->tables.string_len[id] == k->n && memcmp(w->tables.strings[id], k->s, k->n) == 0;
}

uint32_t pyro_writer_string(struct pyro_writer *w, const char *s, size_t n)
{
	struct str_key k = { s, n };
	uint32_t id;
	int is_new;

	if (w->failed)
		return PYRO_NO_ID;
	id = intern(&w->string_ids, pyro_hash_bytes(s, n), same_string, w, &k, (uint32_t)w->tables.nstrings,
		    &is_new);
	if (id == PYRO_NO_ID || (is_new && pyro_profile_add_string(&w->tables, s, n) < 0)) {
		w->failed = 1;
		pyro_err_set(ENOMEM, "out of memory interning strings");
		return PYRO_NO_ID;
	}
	return id;
}

static int same_frame(const struct pyro_writer *w, uint32_t id, const void *c)
{
	return memcmp(&w->tables.frames[id], c, sizeof(struct pyro_frame)) == 0;
}

uint32_t pyro_writer_frame(struct pyro_writer *w, const struct pyro_frame *f)
{
	struct pyro_profile *p = &w->tables;
	struct pyro_frame k;
	uint32_t id;
	int is_new;

	if (w->failed)
		return PYRO_NO_ID;
	memset(&k, 0, sizeof(k));
	k = *f;
	id = intern(&w->frame_ids, pyro_hash_bytes(&k, sizeof(k)), same_frame, w, &k, (uint32_t)p->nframes, &is_new);
	if (id == PYRO_NO_ID ||
	    (is_new && pyro_grow((void **)&p->frames, &p->cap_frames, p->nframes + 1, sizeof(*p->frames)) < 0)) {
		w->failed = 1;
		pyro_err_set(ENOMEM, "out of memory interning frames");
		return PYRO_NO_ID;
	}
	if (is_new)
		p->frames[p->nframes++] = k;
	return id;
}

uint32_t pyro_writer_stack(struct pyro_writer *w, uint32_t parent, uint32_t frame)
{
	struct pyro_profile *p = &w->tables;
	uint64_t key = (((uint64_t)parent + 1) << 32 | frame) + 1, id;

	if (w->failed)
		return PYRO_NO_ID;
	if (pyro_hash_get(&w->stack_ids, key, &id))
		return (uint32_t)id;
	if (pyro_grow((void **)&p->stacks, &p->cap_stacks, p->nstacks + 1, sizeof(*p->stacks)) < 0 ||
	    pyro_hash_put(&w->stack_ids, key, p->nstacks) < 0) {
		w->failed = 1;
		pyro_err_set(ENOMEM, "out of memory interning stacks");
		return PYRO_NO_ID;
	}
	p->stacks[p->nstacks].parent = parent;
	p->stacks[p->nstacks].frame = frame;
	return (uint32_t)p->nstacks++;
}

uint32_t pyro_writer_thread(struct pyro_writer *w, const struct pyro_thread *t)
{
	struct pyro_profile *p = &w->tables;

	if (w->failed)
		return PYRO_NO_ID;
	if (pyro_grow((void **)&p->threads, &p->cap_threads, p->nthreads + 1, sizeof(*p->threads)) < 0) {
		w->failed = 1;
		pyro_err_set(ENOMEM, "out of memory adding a thread");
		return PYRO_NO_ID;
	}
	if (pyro_grow((void **)&w->thread_dirty, &w->cap_dirty, p->nthreads + 1, 1) < 0) {
		w->failed = 1;
		pyro_err_set(ENOMEM, "out of memory adding a thread");
		return PYRO_NO_ID;
	}
	p->threads[p->nthreads] = *t;
	w->thread_dirty[p->nthreads] = 0;
	return (uint32_t)p->nthreads++;
}

void pyro_writer_thread_update(struct pyro_writer *w, uint32_t thread, uint32_t name, const uint64_t *times_ns)
{
	struct pyro_thread *t;

	if (w->failed || thread >= w->tables.nthreads)
		return;
	t = &w->tables.threads[thread];
	if (name != PYRO_NO_ID && name != t->name) {
		t->name = name;
		w->thread_dirty[thread] = 1;
	}
	if (times_ns && memcmp(t->times_ns, times_ns, sizeof(t->times_ns)) != 0) {
		memcpy(t->times_ns, times_ns, sizeof(t->times_ns));
		t->ntimes = PYRO_TIMES;
		w->thread_dirty[thread] = 1;
	}
}

int pyro_writer_process(struct pyro_writer *w, const struct pyro_process *pr)
{
	struct pyro_profile *p = &w->tables;
	struct pyro_process *d;

	if (w->failed)
		return -EIO;
	if (pyro_grow((void **)&p->processes, &p->cap_processes, p->nprocesses + 1, sizeof(*p->processes)) < 0)
		goto oom;
	d = &p->processes[p->nprocesses];
	*d = *pr;
	d->argv = NULL;
	if (pr->argc && !(d->argv = malloc(pr->argc * sizeof(*d->argv))))
		goto oom;
	if (pr->argc)
		memcpy(d->argv, pr->argv, pr->argc * sizeof(*d->argv));
	p->nprocesses++;
	return 0;
oom:
	w->failed = 1;
	return pyro_err_set(ENOMEM, "out of memory adding a process");
}

void pyro_writer_sample(struct pyro_writer *w, const struct pyro_sample *s)
{
	uint64_t dt = s->time_ns >= w->last_time_ns ? s->time_ns - w->last_time_ns : 0;

	if (w->failed)
		return;
	pyro_buf_uvarint(&w->samples, s->thread);
	pyro_buf_uvarint(&w->samples, s->stack == PYRO_NO_ID ? 0 : (uint64_t)s->stack + 1);
	pyro_buf_uvarint(&w->samples, dt);
	pyro_buf_uvarint(&w->samples, s->weight_ns);
	pyro_buf_putc(&w->states, s->state);
	w->last_time_ns += dt;
	w->pending_samples++;
	if (w->samples.oom || w->states.oom) {
		w->failed = 1;
		pyro_err_set(ENOMEM, "out of memory buffering samples");
	}
}

int pyro_writer_flush(struct pyro_writer *w)
{
	const struct pyro_profile *p = &w->tables;
	struct pyro_buf out, pl;
	size_t i, n;
	int rc = 0;

	if (w->failed || w->fd < 0)
		return w->failed ? -EIO : 0;
	pyro_buf_init(&out);
	pyro_buf_init(&pl);
	if (p->nstrings > w->flushed_strings) {
		pyro_buf_uvarint(&pl, w->flushed_strings);
		pyro_buf_uvarint(&pl, p->nstrings - w->flushed_strings);
		for (i = w->flushed_strings; i < p->nstrings; i++)
			pyro_buf_lstring(&pl, p->strings[i], p->string_len[i]);
		put_chunk(&out, PYRO_CHUNK_STRINGS, &pl);
		pl.len = 0;
	}
	if (p->nframes > w->flushed_frames) {
		pyro_buf_uvarint(&pl, w->flushed_frames);
		pyro_buf_uvarint(&pl, p->nframes - w->flushed_frames);
		for (i = w->flushed_frames; i < p->nframes; i++) {
			const struct pyro_frame *f = &p->frames[i];

			pyro_buf_uvarint(&pl, f->name);
			pyro_buf_uvarint(&pl, f->file);
			pyro_buf_svarint(&pl, f->first_line);
			pyro_buf_svarint(&pl, f->line);
			pyro_buf_uvarint(&pl, f->kind);
		}
		put_chunk(&out, PYRO_CHUNK_FRAMES, &pl);
		pl.len = 0;
	}
	if (p->nstacks > w->flushed_stacks) {
		pyro_buf_uvarint(&pl, w->flushed_stacks);
		pyro_buf_uvarint(&pl, p->nstacks - w->flushed_stacks);
		for (i = w->flushed_stacks; i < p->nstacks; i++) {
			pyro_buf_uvarint(&pl, p->stacks[i].parent == PYRO_NO_ID ? 0 : (uint64_t)p->stacks[i].parent + 1);
			pyro_buf_uvarint(&pl, p->stacks[i].frame);
		}
		put_chunk(&out, PYRO_CHUNK_STACKS, &pl);
		pl.len = 0;
	}
	if (p->nthreads > w->flushed_threads) {
		pyro_buf_uvarint(&pl, w->flushed_threads);
		pyro_buf_uvarint(&pl, p->nthreads - w->flushed_threads);
		for (i = w->flushed_threads; i < p->nthreads; i++) {
			pyro_buf_uvarint(&pl, p->threads[i].native_id);
			pyro_buf_uvarint(&pl, p->threads[i].thread_id);
			pyro_buf_uvarint(&pl, p->threads[i].name == PYRO_NO_ID ? 0 : (uint64_t)p->threads[i].name + 1);
		}
		/* 1.1: the interpreters after the records, where 1.0 readers
		 * stop; 1.2: then the processes. */
		for (i = w->flushed_threads; i < p->nthreads; i++)
			pyro_buf_svarint(&pl, p->threads[i].interp);
		for (i = w->flushed_threads; i < p->nthreads; i++)
			pyro_buf_uvarint(&pl, p->threads[i].pid);
		put_chunk(&out, PYRO_CHUNK_THREADS, &pl);
		pl.len = 0;
	}
	if (p->nprocesses > w->flushed_processes) {
		pyro_buf_uvarint(&pl, p->nprocesses - w->flushed_processes);
		for (i = w->flushed_processes; i < p->nprocesses; i++) {
			const struct pyro_process *pr = &p->processes[i];
			size_t a;

			pyro_buf_uvarint(&pl, pr->pid);
			pyro_buf_uvarint(&pl, pr->ppid);
			pyro_buf_uvarint(&pl, pr->version == PYRO_NO_ID ? 0 : (uint64_t)pr->version + 1);
			pyro_buf_uvarint(&pl, pr->argc);
			for (a = 0; a < pr->argc; a++)
				pyro_buf_uvarint(&pl, pr->argv[a]);
		}
		put_chunk(&out, PYRO_CHUNK_PROCESSES, &pl);
		pl.len = 0;
	}
	for (i = 0, n = 0; i < p->nthreads; i++)
		n += w->thread_dirty[i];
	if (n) {
		pyro_buf_uvarint(&pl, n);
		for (i = 0; i < p->nthreads; i++) {
			const struct pyro_thread *t = &p->threads[i];
			size_t k;

			if (!w->thread_dirty[i])
				continue;
			pyro_buf_uvarint(&pl, i);
			pyro_buf_uvarint(&pl, t->name == PYRO_NO_ID ? 0 : (uint64_t)t->name + 1);
			pyro_buf_uvarint(&pl, PYRO_TIMES);
			for (k = 0; k < PYRO_TIMES; k++)
				pyro_buf_uvarint(&pl, t->times_ns[k]);
		}
		put_chunk(&out, PYRO_CHUNK_THREAD_UPDATES, &pl);
		pl.len = 0;
	}
	if (w->pending_samples) {
		pyro_buf_uvarint(&pl, w->pending_samples);
		pyro_buf_append(&pl, w->samples.data, w->samples.len);
		/* 1.2: each sample's state after the records, where 1.1 readers stop. */
		pyro_buf_append(&pl, w->states.data, w->states.len);
		put_chunk(&out, PYRO_CHUNK_SAMPLES, &pl);
	}
	if (out.oom || pl.oom) {
		w->failed = 1;
		rc = pyro_err_set(ENOMEM, "out of memory writing the profile");
	} else if (out.len) {
		rc = write_all(w, out.data, out.len);
	}
	if (rc == 0) {
		w->flushed_strings = p->nstrings;
		w->flushed_frames = p->nframes;
		w->flushed_stacks = p->nstacks;
		w->flushed_threads = p->nthreads;
		w->flushed_processes = p->nprocesses;
		if (p->nthreads)
			memset(w->thread_dirty, 0, p->nthreads);
		w->pending_samples = 0;
		w->samples.len = 0;
		w->states.len = 0;
	}
	pyro_buf_release(&out);
	pyro_buf_release(&pl);
	return rc;
}

/* Flush the tables, then write one chunk built by the caller. */
static int write_chunk(struct pyro_writer *w, uint64_t type, struct pyro_buf *pl)
{
	struct pyro_buf out;
	int rc = pyro_writer_flush(w);

	if (rc < 0)
		return rc;
	pyro_buf_init(&out);
	put_chunk(&out, type, pl);
	if (out.oom || pl->oom) {
		w->failed = 1;
		rc = pyro_err_set(ENOMEM, "out of memory writing the profile");
	} else {
		rc = write_all(w, out.data, out.len);
	}
	pyro_buf_release(&out);
	return rc;
}

int pyro_writer_memory(struct pyro_writer *w, const struct pyro_memory *m)
{
	struct pyro_buf pl;
	int rc;

	if (w->failed)
		return -EIO;
	pyro_buf_init(&pl);
	pyro_buf_uvarint(&pl, m->flags);
	pyro_buf_uvarint(&pl, m->sample_bytes);
	pyro_buf_uvarint(&pl, m->churn_ns);
	pyro_buf_uvarint(&pl, m->offset_ns);
	pyro_buf_uvarint(&pl, m->peak_bytes);
	pyro_buf_uvarint(&pl, m->peak_time_ns);
	pyro_buf_uvarint(&pl, m->time_ns);
	pyro_buf_lstring(&pl, m->message, strnlen(m->message, sizeof(m->message)));
	rc = write_chunk(w, PYRO_CHUNK_MEMORY, &pl);
	pyro_buf_release(&pl);
	return rc;
}

int pyro_writer_mem_sites(struct pyro_writer *w, uint64_t time_ns, const struct pyro_mem_site *sites, size_t n)
{
	struct pyro_buf pl;
	size_t i;
	int rc;

	if (w->failed)
		return -EIO;
	if (!n)
		return 0;
	pyro_buf_init(&pl);
	pyro_buf_uvarint(&pl, time_ns);
	pyro_buf_uvarint(&pl, n);
	for (i = 0; i < n; i++) {
		const struct pyro_mem_site *s = &sites[i];

		pyro_buf_uvarint(&pl, s->stack == PYRO_NO_ID ? 0 : (uint64_t)s->stack + 1);
		pyro_buf_uvarint(&pl, s->allocs);
		pyro_buf_uvarint(&pl, s->alloc_bytes);
		pyro_buf_uvarint(&pl, s->freed_bytes);
		pyro_buf_uvarint(&pl, s->temp_bytes);
		pyro_buf_uvarint(&pl, s->live_bytes);
		pyro_buf_uvarint(&pl, s->peak_bytes);
	}
	rc = write_chunk(w, PYRO_CHUNK_MEMORY_SITES, &pl);
	pyro_buf_release(&pl);
	return rc;
}

int pyro_writer_mem_points(struct pyro_writer *w, const struct pyro_mem_point *pts, size_t n)
{
	struct pyro_buf pl;
	uint64_t last = w->last_point_ns;
	size_t i;
	int rc;

	if (w->failed)
		return -EIO;
	if (!n)
		return 0;
	pyro_buf_init(&pl);
	pyro_buf_uvarint(&pl, n);
	for (i = 0; i < n; i++) {
		uint64_t t = pts[i].time_ns > last ? pts[i].time_ns : last;

		pyro_buf_uvarint(&pl, t - last);
		pyro_buf_uvarint(&pl, pts[i].live_bytes);
		pyro_buf_uvarint(&pl, pts[i].rss_bytes);
		last = t;
	}
	rc = write_chunk(w, PYRO_CHUNK_MEMORY_POINTS, &pl);
	if (rc == 0)
		w->last_point_ns = last;
	pyro_buf_release(&pl);
	return rc;
}

int pyro_writer_close(struct pyro_writer *w, const struct pyro_end *end)
{
	struct pyro_buf out, pl;
	int rc;

	rc = pyro_writer_flush(w);
	if (rc == 0 && end) {
		pyro_buf_init(&out);
		pyro_buf_init(&pl);
		pyro_buf_uvarint(&pl, end->ticks);
		pyro_buf_uvarint(&pl, end->errors);
		pyro_buf_uvarint(&pl, end->duration_ns);
		pyro_buf_uvarint(&pl, end->exit_status);
		pyro_buf_uvarint(&pl, end->saturated);
		put_chunk(&out, PYRO_CHUNK_END, &pl);
		rc = out.oom ? pyro_err_set(ENOMEM, "out of memory") : write_all(w, out.data, out.len);
		pyro_buf_release(&out);
		pyro_buf_release(&pl);
	}
	if (w->fd >= 0 && close(w->fd) < 0 && rc == 0)
		rc = pyro_err_set(errno, "cannot close the profile: %s", strerror(errno));
	w->fd = -1;
	return rc;
}

void pyro_writer_release(struct pyro_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	pyro_profile_release(&w->tables);
	pyro_hash_release(&w->string_ids);
	pyro_hash_release(&w->frame_ids);
	pyro_hash_release(&w->stack_ids);
	pyro_buf_release(&w->samples);
	pyro_buf_release(&w->states);
	free(w->thread_dirty);
	w->thread_dirty = NULL;
	w->fd = -1;
}
