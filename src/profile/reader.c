/*
 * reader.c - parse a .pyro image, treating every byte as hostile.
 *
 * Each chunk is read through a cursor bounded by its declared length, and
 * every id it uses must name an entry defined earlier in the file. A file
 * that ends inside a chunk (a recorder killed mid-write) keeps every complete
 * chunk before it and says where it was cut; anything else malformed is an
 * error naming the byte offset and what was expected.
 */
#include "profile/model.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_BYTES (4ull << 30)

static const char *chunk_name(uint64_t type)
{
	switch (type) {
	case PYRO_CHUNK_HEADER: return "header";
	case PYRO_CHUNK_STRINGS: return "strings";
	case PYRO_CHUNK_FRAMES: return "frames";
	case PYRO_CHUNK_STACKS: return "stacks";
	case PYRO_CHUNK_THREADS: return "threads";
	case PYRO_CHUNK_SAMPLES: return "samples";
	case PYRO_CHUNK_END: return "end";
	case PYRO_CHUNK_THREAD_UPDATES: return "thread updates";
	case PYRO_CHUNK_PROCESSES: return "processes";
	case PYRO_CHUNK_MEMORY: return "memory";
	case PYRO_CHUNK_MEMORY_SITES: return "memory sites";
	case PYRO_CHUNK_MEMORY_POINTS: return "memory points";
	default: return "unknown";
	}
}

static int read_lstring(struct pyro_cursor *c, char **out, const char *what)
{
	const uint8_t *p;
	uint64_t n;

	*out = NULL;
	if (pyro_cursor_uvarint(c, &n, what) < 0)
		return -1;
	if (n > PYRO_MAX_STRING)
		return pyro_cursor_fail(c, what);
	if (pyro_cursor_bytes(c, &p, (size_t)n, what) < 0)
		return -1;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return pyro_cursor_fail(c, "memory for a string");
	memcpy(*out, p, (size_t)n);
	(*out)[n] = '\0';
	pyro_utf8_sanitize(*out, (size_t)n);
	return 0;
}

/* Read "first id, count" and check first id continues the table and the
 * count fits in what is left (each entry takes at least min_bytes). */
static int read_range(struct pyro_cursor *c, size_t have, size_t min_bytes, uint64_t *count, const char *what)
{
	uint64_t first;

	if (pyro_cursor_uvarint(c, &first, "first id") < 0 || pyro_cursor_uvarint(c, count, "entry count") < 0)
		return -1;
	if (first != have)
		return pyro_cursor_fail(c, "a first id continuing the table");
	if (*count > pyro_cursor_left(c) / min_bytes || have + *count > PYRO_MAX_TABLE)
		return pyro_cursor_fail(c, what);
	return 0;
}

static int parse_header(struct pyro_cursor *c, struct pyro_header *h)
{
	uint64_t argc, v;
	size_t i;

	if (read_lstring(c, &h->producer, "producer name") < 0 ||
	    read_lstring(c, &h->python_version, "Python version") < 0 ||
	    pyro_cursor_uvarint(c, &argc, "argument count") < 0)
		return -1;
	if (argc > PYRO_MAX_ARGS || argc > pyro_cursor_left(c))
		return pyro_cursor_fail(c, "an argument count that fits the chunk");
	h->argv = calloc(argc + 1, sizeof(*h->argv));
	if (!h->argv)
		return pyro_cursor_fail(c, "memory for arguments");
	for (i = 0; i < argc; i++) {
		if (read_lstring(c, &h->argv[i], "an argument") < 0)
			return -1;
		h->argc++;
	}
	if (pyro_cursor_uvarint(c, &h->pid, "pid") < 0 || pyro_cursor_uvarint(c, &h->start_ns, "start time") < 0 ||
	    pyro_cursor_uvarint(c, &v, "mode") < 0)
		return -1;
	if (v > PYRO_MODE_GIL)
		return pyro_cursor_fail(c, "mode 0 (wall), 1 (cpu) or 2 (gil)");
	h->mode = (uint32_t)v;
	if (pyro_cursor_uvarint(c, &v, "rate") < 0)
		return -1;
	if (v > 1000000)
		return pyro_cursor_fail(c, "a rate of at most 1 MHz");
	h->rate_hz = (uint32_t)v;
	return 0;
}

static int parse_strings(struct pyro_cursor *c, struct pyro_profile *p)
{
	uint64_t count, i;

	if (read_range(c, p->nstrings, 1, &count, "a string count that fits the chunk") < 0)
		return -1;
	for (i = 0; i < count; i++) {
		const uint8_t *s;
		uint64_t n;

		if (pyro_cursor_uvarint(c, &n, "string length") < 0)
			return -1;
		if (n > PYRO_MAX_STRING)
			return pyro_cursor_fail(c, "a string of at most 1 MiB");
		if (pyro_cursor_bytes(c, &s, (size_t)n, "string bytes") < 0)
			return -1;
		if (pyro_profile_add_string(p, (const char *)s, (size_t)n) < 0)
			return pyro_cursor_fail(c, "memory for strings");
		/* Reports print these: never pass on invalid UTF-8. */
		pyro_utf8_sanitize(p->strings[p->nstrings - 1], (size_t)n);
	}
	return 0;
}

static int parse_frames(struct pyro_cursor *c, struct pyro_profile *p)
{
	uint64_t count, i;

	if (read_range(c, p->nframes, 5, &count, "a frame count that fits the chunk") < 0)
		return -1;
	if (pyro_grow((void **)&p->frames, &p->cap_frames, p->nframes + count, sizeof(*p->frames)) < 0)
		return pyro_cursor_fail(c, "memory for frames");
	for (i = 0; i < count; i++) {
		uint64_t name, file, kind;
		int64_t first, line;

		if (pyro_cursor_uvarint(c, &name, "frame name") < 0 || pyro_cursor_uvarint(c, &file, "frame file") < 0 ||
		    pyro_cursor_svarint(c, &first, "frame first line") < 0 ||
		    pyro_cursor_svarint(c, &line, "frame line") < 0 || pyro_cursor_uvarint(c, &kind, "frame kind") < 0)
			return -1;
		if (name >= p->nstrings || file >= p->nstrings)
			return pyro_cursor_fail(c, "frame strings defined earlier");
		if (first < INT32_MIN || first > INT32_MAX || line < INT32_MIN || line > INT32_MAX)
			return pyro_cursor_fail(c, "a 32-bit line number");
		if (kind > PYRO_FRAME_NATIVE)
			return pyro_cursor_fail(c, "frame kind 0 (python) or 1 (native)");
		p->frames[p->nframes].name = (uint32_t)name;
		p->frames[p->nframes].file = (uint32_t)file;
		p->frames[p->nframes].first_line = (int32_t)first;
		p->frames[p->nframes].line = (int32_t)line;
		p->frames[p->nframes].kind = (uint32_t)kind;
		p->nframes++;
	}
	return 0;
}

static int parse_stacks(struct pyro_cursor *c, struct pyro_profile *p)
{
	uint64_t count, i;

	if (read_range(c, p->nstacks, 2, &count, "a stack count that fits the chunk") < 0)
		return -1;
	if (pyro_grow((void **)&p->stacks, &p->cap_stacks, p->nstacks + count, sizeof(*p->stacks)) < 0)
		return pyro_cursor_fail(c, "memory for stacks");
	for (i = 0; i < count; i++) {
		uint64_t parent, frame;

		if (pyro_cursor_uvarint(c, &parent, "stack parent") < 0 || pyro_cursor_uvarint(c, &frame, "stack frame") < 0)
			return -1;
		if (parent > p->nstacks)
			return pyro_cursor_fail(c, "a parent stack defined earlier");
		if (frame >= p->nframes)
			return pyro_cursor_fail(c, "a frame defined earlier");
		p->stacks[p->nstacks].parent = parent ? (uint32_t)(parent - 1) : PYRO_NO_ID;
		p->stacks[p->nstacks].frame = (uint32_t)frame;
		p->nstacks++;
	}
	return 0;
}

static int parse_threads(struct pyro_cursor *c, struct pyro_profile *p)
{
	uint64_t count, i;

	if (read_range(c, p->nthreads, 3, &count, "a thread count that fits the chunk") < 0)
		return -1;
	if (pyro_grow((void **)&p->threads, &p->cap_threads, p->nthreads + count, sizeof(*p->threads)) < 0)
		return pyro_cursor_fail(c, "memory for threads");
	for (i = 0; i < count; i++) {
		struct pyro_thread *t = &p->threads[p->nthreads];
		uint64_t native_id, thread_id, name;

		if (pyro_cursor_uvarint(c, &native_id, "thread id") < 0 ||
		    pyro_cursor_uvarint(c, &thread_id, "pthread id") < 0 ||
		    pyro_cursor_uvarint(c, &name, "thread name") < 0)
			return -1;
		if (name > p->nstrings)
			return pyro_cursor_fail(c, "a thread name defined earlier");
		memset(t, 0, sizeof(*t));
		t->native_id = native_id;
		t->thread_id = thread_id;
		t->name = name ? (uint32_t)(name - 1) : PYRO_NO_ID;
		p->nthreads++;
	}
	/* Format 1.1 follows the records with each thread's interpreter; a 1.0
	 * chunk ends here and its threads are all in the main interpreter. */
	if (pyro_cursor_left(c) == 0)
		return 0;
	for (i = 0; i < count; i++)
		if (pyro_cursor_svarint(c, &p->threads[p->nthreads - count + i].interp, "thread interpreter") < 0)
			return -1;
	/* 1.2: then each thread's process. */
	if (pyro_cursor_left(c) == 0)
		return 0;
	for (i = 0; i < count; i++)
		if (pyro_cursor_uvarint(c, &p->threads[p->nthreads - count + i].pid, "thread process") < 0)
			return -1;
	return 0;
}

static int parse_thread_updates(struct pyro_cursor *c, struct pyro_profile *p)
{
	uint64_t count, i;

	if (pyro_cursor_uvarint(c, &count, "update count") < 0)
		return -1;
	if (count > pyro_cursor_left(c) / 3)
		return pyro_cursor_fail(c, "an update count that fits the chunk");
	for (i = 0; i < count; i++) {
		uint64_t thread, name, ntimes, k, v;

		if (pyro_cursor_uvarint(c, &thread, "updated thread") < 0 || pyro_cursor_uvarint(c, &name, "thread name") < 0 ||
		    pyro_cursor_uvarint(c, &ntimes, "time count") < 0)
			return -1;
		if (thread >= p->nthreads)
			return pyro_cursor_fail(c, "a thread defined earlier");
		if (name > p->nstrings)
			return pyro_cursor_fail(c, "a thread name defined earlier");
		if (ntimes > pyro_cursor_left(c))
			return pyro_cursor_fail(c, "a time count that fits the chunk");
		if (name)
			p->threads[thread].name = (uint32_t)(name - 1);
		p->threads[thread].ntimes = (uint8_t)(ntimes < PYRO_TIMES ? ntimes : PYRO_TIMES);
		for (k = 0; k < ntimes; k++) {
			if (pyro_cursor_uvarint(c, &v, "thread time") < 0)
				return -1;
			if (k < PYRO_TIMES)
				p->threads[thread].times_ns[k] = v;
		}
	}
	return 0;
}

static int parse_processes(struct pyro_cursor *c, struct pyro_profile *p)
{
	uint64_t count, i;

	if (pyro_cursor_uvarint(c, &count, "process count") < 0)
		return -1;
	if (count > pyro_cursor_left(c) / 4 || p->nprocesses + count > PYRO_MAX_TABLE)
		return pyro_cursor_fail(c, "a process count that fits the chunk");
	if (pyro_grow((void **)&p->processes, &p->cap_processes, p->nprocesses + count, sizeof(*p->processes)) < 0)
		return pyro_cursor_fail(c, "memory for processes");
	for (i = 0; i < count; i++) {
		struct pyro_process *pr = &p->processes[p->nprocesses];
		uint64_t version, argc, a, id;

		memset(pr, 0, sizeof(*pr));
		if (pyro_cursor_uvarint(c, &pr->pid, "process id") < 0 || pyro_cursor_uvarint(c, &pr->ppid, "parent process id") < 0 ||
		    pyro_cursor_uvarint(c, &version, "process Python version") < 0 ||
		    pyro_cursor_uvarint(c, &argc, "process argument count") < 0)
			return -1;
		if (version > p->nstrings)
			return pyro_cursor_fail(c, "a version string defined earlier");
		if (argc > PYRO_MAX_ARGS || argc > pyro_cursor_left(c))
			return pyro_cursor_fail(c, "an argument count that fits the chunk");
		pr->version = version ? (uint32_t)(version - 1) : PYRO_NO_ID;
		if (argc && !(pr->argv = malloc((size_t)argc * sizeof(*pr->argv))))
			return pyro_cursor_fail(c, "memory for a process's arguments");
		p->nprocesses++; /* owns argv from here, even if what follows fails */
		for (a = 0; a < argc; a++) {
			if (pyro_cursor_uvarint(c, &id, "process argument") < 0)
				return -1;
			if (id >= p->nstrings)
				return pyro_cursor_fail(c, "an argument string defined earlier");
			pr->argv[pr->argc++] = (uint32_t)id;
		}
	}
	return 0;
}

static int parse_samples(struct pyro_cursor *c, struct pyro_profile *p, uint64_t *clock)
{
	uint64_t count, i;

	if (pyro_cursor_uvarint(c, &count, "sample count") < 0)
		return -1;
	if (count > pyro_cursor_left(c) / 4 || p->nsamples + count > PYRO_MAX_TABLE)
		return pyro_cursor_fail(c, "a sample count that fits the chunk");
	if (pyro_grow((void **)&p->samples, &p->cap_samples, p->nsamples + count, sizeof(*p->samples)) < 0)
		return pyro_cursor_fail(c, "memory for samples");
	for (i = 0; i < count; i++) {
		struct pyro_sample *s = &p->samples[p->nsamples];
		uint64_t thread, stack, dt, weight;

		if (pyro_cursor_uvarint(c, &thread, "sample thread") < 0 || pyro_cursor_uvarint(c, &stack, "sample stack") < 0 ||
		    pyro_cursor_uvarint(c, &dt, "sample time") < 0 || pyro_cursor_uvarint(c, &weight, "sample weight") < 0)
			return -1;
		if (thread >= p->nthreads)
			return pyro_cursor_fail(c, "a thread defined earlier");
		if (stack > p->nstacks)
			return pyro_cursor_fail(c, "a stack defined earlier");
		if (dt > UINT64_MAX - *clock)
			return pyro_cursor_fail(c, "a sample time that does not overflow");
		*clock += dt;
		s->thread = (uint32_t)thread;
		s->stack = stack ? (uint32_t)(stack - 1) : PYRO_NO_ID;
		s->time_ns = *clock;
		s->weight_ns = weight;
		s->state = 0;
		p->nsamples++;
	}
	/* 1.2: one state byte per sample after the records, where 1.1 readers
	 * stop. States this reader does not know read as unknown. */
	if (pyro_cursor_left(c) >= count) {
		const uint8_t *st;

		if (pyro_cursor_bytes(c, &st, (size_t)count, "sample states") < 0)
			return -1;
		for (i = 0; i < count; i++) {
			unsigned act = PYRO_STATE_ACT(st[i]), gil = PYRO_STATE_GIL(st[i]);

			p->samples[p->nsamples - count + i].state =
				PYRO_STATE(act < PYRO_ACT_COUNT ? act : PYRO_ACT_UNKNOWN, gil <= PYRO_GIL_HELD ? gil : PYRO_GIL_UNKNOWN);
		}
	}
	return 0;
}

static int parse_memory(struct pyro_cursor *c, struct pyro_memory *m)
{
	const uint8_t *msg;
	uint64_t flags, n;

	if (pyro_cursor_uvarint(c, &flags, "memory flags") < 0 ||
	    pyro_cursor_uvarint(c, &m->sample_bytes, "sampling interval") < 0 ||
	    pyro_cursor_uvarint(c, &m->churn_ns, "churn window") < 0 ||
	    pyro_cursor_uvarint(c, &m->offset_ns, "memory time offset") < 0 ||
	    pyro_cursor_uvarint(c, &m->peak_bytes, "peak bytes") < 0 ||
	    pyro_cursor_uvarint(c, &m->peak_time_ns, "peak time") < 0 ||
	    pyro_cursor_uvarint(c, &m->time_ns, "memory update time") < 0 ||
	    pyro_cursor_uvarint(c, &n, "message length") < 0)
		return -1;
	if (n > PYRO_MAX_STRING)
		return pyro_cursor_fail(c, "a message of at most 1 MiB");
	if (pyro_cursor_bytes(c, &msg, (size_t)n, "the memory message") < 0)
		return -1;
	if (n >= sizeof(m->message))
		n = sizeof(m->message) - 1;
	memcpy(m->message, msg, (size_t)n);
	m->message[n] = '\0';
	pyro_utf8_sanitize(m->message, (size_t)n);
	m->flags = (uint32_t)flags;
	m->present = 1;
	return 0;
}

/* Sites replace the earlier entry for their stack; every entry is also
 * kept in the history (leak growth reads it). */
static int parse_mem_sites(struct pyro_cursor *c, struct pyro_profile *p)
{
	struct pyro_memory *m = &p->memory;
	uint64_t time, count, i;

	if (pyro_cursor_uvarint(c, &time, "sites time") < 0 || pyro_cursor_uvarint(c, &count, "site count") < 0)
		return -1;
	if (count > pyro_cursor_left(c) / 7 || m->nhistory + count > PYRO_MAX_TABLE)
		return pyro_cursor_fail(c, "a site count that fits the chunk");
	if (pyro_grow((void **)&m->history, &m->cap_history, m->nhistory + count, sizeof(*m->history)) < 0)
		return pyro_cursor_fail(c, "memory for memory sites");
	for (i = 0; i < count; i++) {
		struct pyro_mem_site s;
		uint64_t stack, idx;

		if (pyro_cursor_uvarint(c, &stack, "site stack") < 0 || pyro_cursor_uvarint(c, &s.allocs, "allocations") < 0 ||
		    pyro_cursor_uvarint(c, &s.alloc_bytes, "bytes allocated") < 0 ||
		    pyro_cursor_uvarint(c, &s.freed_bytes, "bytes freed") < 0 ||
		    pyro_cursor_uvarint(c, &s.temp_bytes, "temporary bytes") < 0 ||
		    pyro_cursor_uvarint(c, &s.live_bytes, "live bytes") < 0 ||
		    pyro_cursor_uvarint(c, &s.peak_bytes, "bytes at the peak") < 0)
			return -1;
		if (stack > p->nstacks)
			return pyro_cursor_fail(c, "a stack defined earlier");
		s.stack = stack ? (uint32_t)(stack - 1) : PYRO_NO_ID;
		if (!pyro_hash_get(&m->site_ids, stack + 1, &idx)) {
			if (pyro_grow((void **)&m->sites, &m->cap_sites, m->nsites + 1, sizeof(*m->sites)) < 0 ||
			    pyro_hash_put(&m->site_ids, stack + 1, m->nsites) < 0)
				return pyro_cursor_fail(c, "memory for memory sites");
			idx = m->nsites++;
		}
		m->sites[idx] = s;
		m->history[m->nhistory].time_ns = time;
		m->history[m->nhistory].site = (uint32_t)idx;
		m->history[m->nhistory].live_bytes = s.live_bytes;
		m->nhistory++;
	}
	return 0;
}

static int parse_mem_points(struct pyro_cursor *c, struct pyro_memory *m, uint64_t *clock)
{
	uint64_t count, i;

	if (pyro_cursor_uvarint(c, &count, "point count") < 0)
		return -1;
	if (count > pyro_cursor_left(c) / 3 || m->npoints + count > PYRO_MAX_TABLE)
		return pyro_cursor_fail(c, "a point count that fits the chunk");
	if (pyro_grow((void **)&m->points, &m->cap_points, m->npoints + count, sizeof(*m->points)) < 0)
		return pyro_cursor_fail(c, "memory for memory points");
	for (i = 0; i < count; i++) {
		struct pyro_mem_point *pt = &m->points[m->npoints];
		uint64_t dt;

		if (pyro_cursor_uvarint(c, &dt, "point time") < 0 || pyro_cursor_uvarint(c, &pt->live_bytes, "live bytes") < 0 ||
		    pyro_cursor_uvarint(c, &pt->rss_bytes, "resident bytes") < 0)
			return -1;
		if (dt > UINT64_MAX - *clock)
			return pyro_cursor_fail(c, "a point time that does not overflow");
		*clock += dt;
		pt->time_ns = *clock;
		m->npoints++;
	}
	return 0;
}

static int parse_end(struct pyro_cursor *c, struct pyro_end *e)
{
	if (pyro_cursor_uvarint(c, &e->ticks, "sample attempts") < 0 || pyro_cursor_uvarint(c, &e->errors, "errors") < 0 ||
	    pyro_cursor_uvarint(c, &e->duration_ns, "duration") < 0 ||
	    pyro_cursor_uvarint(c, &e->exit_status, "exit status") < 0)
		return -1;
	/* Added after 1.1 at the payload's end: older files end before it. */
	if (pyro_cursor_left(c) && pyro_cursor_uvarint(c, &e->saturated, "saturated rounds") < 0)
		return -1;
	e->present = 1;
	return 0;
}

int pyro_profile_parse(const uint8_t *data, size_t len, struct pyro_profile *p)
{
	struct pyro_cursor file;
	uint64_t clock = 0, mem_clock = 0;
	int have_header = 0;
	const uint8_t *magic;
	uint8_t major, minor, order, reserved;

	pyro_profile_init(p);
	pyro_cursor_init(&file, data, len, 0);
	if (pyro_cursor_bytes(&file, &magic, PYRO_MAGIC_LEN, "the .pyro magic") < 0 ||
	    memcmp(magic, PYRO_MAGIC, PYRO_MAGIC_LEN) != 0)
		return pyro_err_set(EINVAL, "not a .pyro file (bad magic at byte 0)");
	if (pyro_cursor_u8(&file, &major, "format version") < 0 || pyro_cursor_u8(&file, &minor, "format version") < 0 ||
	    pyro_cursor_u8(&file, &order, "byte order") < 0 || pyro_cursor_u8(&file, &reserved, "reserved byte") < 0)
		return pyro_err_set(EINVAL, "truncated .pyro header at byte %llu", (unsigned long long)file.fail_at);
	if (major != PYRO_FORMAT_MAJOR)
		return pyro_err_set(ENOTSUP, "format version %u.%u is not supported by this pyrometer (reads %u.x)",
				    major, minor, PYRO_FORMAT_MAJOR);
	if (order != 'L')
		return pyro_err_set(EINVAL, "byte 10: byte order '%c' is not 'L'", order >= 32 && order < 127 ? order : '?');

	while (pyro_cursor_left(&file) > 0) {
		uint64_t start = file.off, type, clen;
		const uint8_t *payload;
		struct pyro_cursor c;
		int rc = 0;

		if (pyro_cursor_uvarint(&file, &type, "a chunk type") < 0 ||
		    pyro_cursor_uvarint(&file, &clen, "a chunk length") < 0 ||
		    pyro_cursor_bytes(&file, &payload, (size_t)(clen > SIZE_MAX ? SIZE_MAX : clen), "chunk bytes") < 0) {
			if (!file.truncated)
				goto bad_file;
			if (!have_header)
				goto bad_file;
			snprintf(p->warning, sizeof(p->warning),
				 "file is truncated at byte %llu: a %s chunk starting at byte %llu is incomplete "
				 "(the recorder was probably killed); showing the %zu samples before it",
				 (unsigned long long)len, chunk_name(type), (unsigned long long)start, p->nsamples);
			return 0;
		}
		pyro_cursor_init(&c, payload, (size_t)clen, file.off - clen);
		if (!have_header && type != PYRO_CHUNK_HEADER) {
			pyro_err_set(EINVAL, "byte %llu: expected the header chunk first, found a %s chunk",
				     (unsigned long long)start, chunk_name(type));
			goto fail;
		}
		switch (type) {
		case PYRO_CHUNK_HEADER:
			if (have_header) {
				pyro_cursor_fail(&c, "only one header chunk");
				rc = -1;
				break;
			}
			rc = parse_header(&c, &p->header);
			have_header = 1;
			break;
		case PYRO_CHUNK_STRINGS: rc = parse_strings(&c, p); break;
		case PYRO_CHUNK_FRAMES: rc = parse_frames(&c, p); break;
		case PYRO_CHUNK_STACKS: rc = parse_stacks(&c, p); break;
		case PYRO_CHUNK_THREADS: rc = parse_threads(&c, p); break;
		case PYRO_CHUNK_SAMPLES: rc = parse_samples(&c, p, &clock); break;
		case PYRO_CHUNK_END: rc = parse_end(&c, &p->end); break;
		case PYRO_CHUNK_THREAD_UPDATES: rc = parse_thread_updates(&c, p); break;
		case PYRO_CHUNK_PROCESSES: rc = parse_processes(&c, p); break;
		case PYRO_CHUNK_MEMORY: rc = parse_memory(&c, &p->memory); break;
		case PYRO_CHUNK_MEMORY_SITES: rc = parse_mem_sites(&c, p); break;
		case PYRO_CHUNK_MEMORY_POINTS: rc = parse_mem_points(&c, &p->memory, &mem_clock); break;
		default: break; /* a newer chunk type: skip it */
		}
		if (rc < 0) {
			pyro_err_set(EINVAL, "corrupt %s chunk at byte %llu: at byte %llu expected %s",
				     chunk_name(type), (unsigned long long)start, (unsigned long long)c.fail_at, c.fail);
			goto fail;
		}
	}
	if (!have_header) {
		pyro_err_set(EINVAL, "truncated .pyro file: no header chunk after byte 12");
		goto fail;
	}
	if (!p->end.present)
		snprintf(p->warning, sizeof(p->warning),
			 "file ends at byte %zu without an end chunk (the recorder was probably killed); "
			 "showing the %zu samples it holds", len, p->nsamples);
	return 0;
bad_file:
	pyro_err_set(EINVAL, "%s at byte %llu: expected %s", file.truncated ? "truncated .pyro file" : "corrupt .pyro file",
		     (unsigned long long)file.fail_at, file.fail);
fail:
	pyro_profile_release(p);
	return -EINVAL;
}

int pyro_profile_read(const char *path, struct pyro_profile *p)
{
	struct stat st;
	uint8_t *data = NULL;
	size_t n = 0;
	int fd, rc;

	pyro_profile_init(p);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pyro_err_set(errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_FILE_BYTES) {
		close(fd);
		return pyro_err_set(EINVAL, "%s: not a regular file of at most 4 GiB", path);
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		close(fd);
		return pyro_err_set(ENOMEM, "%s: out of memory", path);
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, data + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	rc = pyro_profile_parse(data, n, p);
	free(data);
	if (rc < 0)
		return pyro_err_prefix(rc, "%s", path);
	return 0;
}
