/*
 * pprof.c - the profile as pprof's gzipped profile.proto
 * (github.com/google/pprof/proto/profile.proto), for `go tool pprof`,
 * Pyroscope and anything else that reads it.
 *
 * The protobuf is encoded by hand: the schema is small and stable, and a
 * library would be a dependency for a few varints. Everything is built in
 * memory (one Sample per view leaf, one Location per frame used, one
 * Function per view function, then the string table, which protobuf lets us
 * put last), then gzipped with zlib in one pass. It must not assume
 * anything about the strings (any UTF-8 is kept as is) or the numbers
 * (counts and times are written as their 64-bit patterns, never
 * overflowing).
 *
 * Memory (record --memory) adds three sample types after the time, in
 * go tool pprof's heap-profile names: alloc_objects and alloc_space (all
 * allocations of a stack) and inuse_space, which holds the bytes a stack
 * held at the moment of the peak: Go's inuse_space is what the heap holds
 * at one moment, and the peak is the moment that sizes a process. Each
 * memory site is one more Sample (its stack, 0 for the CPU types, no
 * thread: the agent does not record one); CPU samples have 0 for the
 * memory types. A site with no Python frame is one frame,
 * "(no Python frame)".
 *
 * Field numbers below are profile.proto's.
 */
#include "render/render.h"
#include "render/textutil.h"
#include "util/buf.h"
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum {
	/* Profile */
	PB_SAMPLE_TYPE = 1, PB_SAMPLE = 2, PB_LOCATION = 4, PB_FUNCTION = 5,
	PB_STRING_TABLE = 6, PB_TIME_NANOS = 9, PB_DURATION_NANOS = 10,
	PB_PERIOD_TYPE = 11, PB_PERIOD = 12, PB_COMMENT = 13,
	PB_DEFAULT_SAMPLE_TYPE = 14,
	/* ValueType */
	PB_VT_TYPE = 1, PB_VT_UNIT = 2,
	/* Sample */
	PB_S_LOCATION_ID = 1, PB_S_VALUE = 2, PB_S_LABEL = 3,
	/* Label */
	PB_L_KEY = 1, PB_L_STR = 2, PB_L_NUM = 3, PB_L_NUM_UNIT = 4,
	/* Location */
	PB_LOC_ID = 1, PB_LOC_LINE = 4,
	/* Line */
	PB_LINE_FUNCTION_ID = 1, PB_LINE_LINE = 2,
	/* Function */
	PB_F_ID = 1, PB_F_NAME = 2, PB_F_SYSTEM_NAME = 3, PB_F_FILENAME = 4,
	PB_F_START_LINE = 5,
};

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

/* The string table as it is built: entry i is string index i. */
struct strtab {
	struct strtab_entry {
		const char *s; /* borrowed: a profile string, or the caller's */
		size_t len;
	} *e;                  /* owned */
	size_t n, cap;
	uint32_t *of_profile;  /* owned; per profile string id: index, 0 = not yet */
	int oom;
};

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void put_tag(struct pyro_buf *b, unsigned field, unsigned wire)
{
	pyro_buf_uvarint(b, (uint64_t)field << 3 | wire);
}

/* int64 fields are the two's-complement pattern as a varint. */
static void put_int(struct pyro_buf *b, unsigned field, uint64_t v)
{
	put_tag(b, field, WIRE_VARINT);
	pyro_buf_uvarint(b, v);
}

static void put_bytes(struct pyro_buf *b, unsigned field, const void *p, size_t n)
{
	put_tag(b, field, WIRE_LEN);
	pyro_buf_uvarint(b, n);
	pyro_buf_append(b, p, n);
}

/* A sub-message built in sub, appended to b as field. */
static void put_sub(struct pyro_buf *b, unsigned field, const struct pyro_buf *sub)
{
	put_bytes(b, field, sub->data, sub->len);
}

static uint64_t str_add(struct strtab *t, const char *s, size_t len)
{
	if (pyro_array_grow((void **)&t->e, &t->cap, t->n + 1, sizeof(*t->e), PYRO_MAX_TABLE) < 0) {
		t->oom = 1;
		return 0;
	}
	t->e[t->n].s = s;
	t->e[t->n].len = len;
	return t->n++;
}

static uint64_t str_cstr(struct strtab *t, const char *s)
{
	return str_add(t, s, strlen(s));
}

/* The index of profile string id, added on first use. "" is index 0. */
static uint64_t str_of(struct strtab *t, const struct pyro_profile *p, uint32_t id)
{
	if (id >= p->nstrings)
		return str_cstr(t, pyro_profile_str(p, id));
	if (!t->of_profile[id] && p->string_len[id])
		t->of_profile[id] = (uint32_t)str_add(t, p->strings[id], p->string_len[id]);
	return t->of_profile[id];
}

static void put_value_type(struct pyro_buf *b, struct pyro_buf *sub, unsigned field, uint64_t type, uint64_t unit)
{
	sub->len = 0;
	put_int(sub, PB_VT_TYPE, type);
	put_int(sub, PB_VT_UNIT, unit);
	put_sub(b, field, sub);
}

static void put_label(struct pyro_buf *b, struct pyro_buf *sub, uint64_t key, unsigned vfield, uint64_t val,
		      uint64_t unit)
{
	sub->len = 0;
	put_int(sub, PB_L_KEY, key);
	put_int(sub, vfield, val);
	if (unit)
		put_int(sub, PB_L_NUM_UNIT, unit);
	put_sub(b, PB_S_LABEL, sub);
}

/* A Sample's values, packed. */
static void put_values(struct pyro_buf *b, const uint64_t *vals, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += varint_len(vals[i]);
	put_tag(b, PB_S_VALUE, WIRE_LEN);
	pyro_buf_uvarint(b, len);
	for (i = 0; i < n; i++)
		pyro_buf_uvarint(b, vals[i]);
}

/* Gzip the len bytes at data to out. Returns 0 or negative with the message set. */
/* A sample's location ids, leaf first (chain is root first), giving each
 * frame met for the first time the next location id. */
static void put_location_ids(struct pyro_buf *ids, const uint32_t *chain, uint32_t d, uint32_t *loc_of,
			     uint32_t *frame_of_loc, uint64_t *nlocs)
{
	while (d-- > 0) {
		uint32_t f = chain[d];

		if (!loc_of[f]) {
			frame_of_loc[*nlocs] = f;
			loc_of[f] = (uint32_t)++*nlocs;
		}
		pyro_buf_uvarint(ids, loc_of[f]);
	}
}

static int gzip_to(const uint8_t *data, size_t len, FILE *out)
{
	uint8_t chunk[16384];
	z_stream zs;
	int zrc, rc = 0;

	memset(&zs, 0, sizeof(zs));
	/* Level 1: on 1,000,000 samples (9.7 MB of protobuf) level 6 takes
	 * twice as long for an 11% smaller file. */
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return pyro_err_set(ENOMEM, "cannot start the gzip compressor for pprof output");
	zs.next_in = (uint8_t *)data;
	do {
		/* avail_in is an unsigned int: feed at most 1 GiB at a time. */
		size_t take = len > (1u << 30) ? (1u << 30) : len;
		int flush = take == len ? Z_FINISH : Z_NO_FLUSH;

		zs.avail_in = (unsigned)take;
		len -= take;
		do {
			size_t have;

			zs.next_out = chunk;
			zs.avail_out = sizeof(chunk);
			zrc = deflate(&zs, flush);
			if (zrc == Z_STREAM_ERROR) {
				rc = pyro_err_set(EIO, "gzip compression of pprof output failed");
				goto out;
			}
			have = sizeof(chunk) - zs.avail_out;
			if (have && fwrite(chunk, 1, have, out) != have) {
				rc = pyro_err_set(EIO, "cannot write pprof output");
				goto out;
			}
		} while (zs.avail_out == 0);
	} while (len > 0);
	if (zrc != Z_STREAM_END)
		rc = pyro_err_set(EIO, "gzip compression of pprof output did not finish");
out:
	deflateEnd(&zs);
	return rc;
}

int pyro_render_pprof(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	const struct pyro_profile *p = v->p;
	const struct pyro_memory *m = &p->memory;
	const int cpu = p->header.mode == PYRO_MODE_CPU, mem = m->present;
	const size_t nvals = mem ? 5 : 2; /* samples, time, then alloc_objects, alloc_space, inuse_space */
	struct strtab st;
	struct pyro_buf msg, sub, ids, rec, sysnames; /* rec: the Sample or Location being built */
	size_t *sysoff = NULL;
	uint32_t *chain = NULL, *loc_of = NULL, *frame_of_loc = NULL;
	char *pyver = NULL;
	struct pyro_buf cmdline;
	uint64_t s_samples, s_count, s_time, s_ns, s_tid, s_tname, s_interp = 0, s_id = 0, s_pid = 0;
	uint64_t s_alloc_objects = 0, s_alloc_space = 0, s_inuse_space = 0, s_bytes = 0;
	uint64_t duration, nlocs = 0, vals[5] = { 0 }, no_frame_loc = 0;
	size_t i, pyver_len;
	int rc = 0;

	(void)o;
	memset(&st, 0, sizeof(st));
	pyro_buf_init(&msg);
	pyro_buf_init(&sub);
	pyro_buf_init(&ids);
	pyro_buf_init(&rec);
	pyro_buf_init(&sysnames);
	pyro_buf_init(&cmdline);
	st.of_profile = calloc(p->nstrings + 1, sizeof(*st.of_profile));
	chain = malloc((v->max_depth + 1) * sizeof(*chain));
	/* Location ids are given to frames in order of first use, from 1. */
	loc_of = calloc(p->nframes + 1, sizeof(*loc_of));
	frame_of_loc = malloc((p->nframes + 1) * sizeof(*frame_of_loc));
	pyro_command_line(&cmdline, p);
	pyver_len = strlen(p->header.python_version ? p->header.python_version : "") + 8;
	pyver = malloc(pyver_len);
	if (!st.of_profile || !chain || !loc_of || !frame_of_loc || cmdline.oom || !pyver)
		goto oom;
	snprintf(pyver, pyver_len, "Python %s", p->header.python_version ? p->header.python_version : "");

	str_add(&st, "", 0);
	s_samples = str_cstr(&st, "samples");
	s_count = str_cstr(&st, "count");
	s_time = str_cstr(&st, cpu ? "cpu" : "wall");
	s_ns = str_cstr(&st, "nanoseconds");
	s_tid = str_cstr(&st, "thread_id");
	s_tname = str_cstr(&st, "thread_name");
	if (v->several_pids)
		s_pid = str_cstr(&st, "pid");
	if (v->several_interps) {
		s_interp = str_cstr(&st, "interpreter");
		/* A unit keeps interpreter 0 (num 0 without a unit reads as absent). */
		s_id = str_cstr(&st, "id");
	}
	if (mem) {
		s_alloc_objects = str_cstr(&st, "alloc_objects");
		s_alloc_space = str_cstr(&st, "alloc_space");
		s_inuse_space = str_cstr(&st, "inuse_space");
		s_bytes = str_cstr(&st, "bytes");
	}

	put_value_type(&msg, &sub, PB_SAMPLE_TYPE, s_samples, s_count);
	put_value_type(&msg, &sub, PB_SAMPLE_TYPE, s_time, s_ns);
	if (mem) {
		put_value_type(&msg, &sub, PB_SAMPLE_TYPE, s_alloc_objects, s_count);
		put_value_type(&msg, &sub, PB_SAMPLE_TYPE, s_alloc_space, s_bytes);
		put_value_type(&msg, &sub, PB_SAMPLE_TYPE, s_inuse_space, s_bytes);
	}

	for (i = 0; i < v->nleaves; i++) {
		const struct pyro_view_leaf *l = &v->leaves[i];
		const struct pyro_thread *th = &p->threads[l->thread];
		uint32_t d = pyro_view_frames(v, l->stack, chain);

		ids.len = 0;
		put_location_ids(&ids, chain, d, loc_of, frame_of_loc, &nlocs);
		rec.len = 0;
		put_bytes(&rec, PB_S_LOCATION_ID, ids.data, ids.len);
		vals[0] = l->samples;
		vals[1] = l->weight_ns;
		put_values(&rec, vals, nvals);
		put_label(&rec, &sub, s_tid, PB_L_NUM, th->native_id, 0);
		if (th->name != PYRO_NO_ID) {
			uint64_t name = str_of(&st, p, th->name);

			/* str 0 ("") would read as a numeric label: leave it out. */
			if (name)
				put_label(&rec, &sub, s_tname, PB_L_STR, name, 0);
		}
		if (v->several_pids)
			put_label(&rec, &sub, s_pid, PB_L_NUM, pyro_thread_pid(p, th), 0);
		if (v->several_interps)
			put_label(&rec, &sub, s_interp, PB_L_NUM, (uint64_t)th->interp, s_id);
		put_sub(&msg, PB_SAMPLE, &rec);
		if (msg.oom)
			goto oom;
	}

	/* A site with no Python frame gets a location of its own (frame
	 * PYRO_NO_ID), whose function comes after the view's. */
	vals[0] = vals[1] = 0;
	for (i = 0; mem && i < m->nsites && !no_frame_loc; i++)
		if (m->sites[i].stack >= p->nstacks) {
			frame_of_loc[nlocs] = PYRO_NO_ID;
			no_frame_loc = ++nlocs;
		}
	for (i = 0; mem && i < m->nsites; i++) {
		const struct pyro_mem_site *site = &m->sites[i];
		uint32_t d = 0;

		if (site->stack < p->nstacks)
			d = pyro_view_frames(v, site->stack, chain);
		ids.len = 0;
		put_location_ids(&ids, chain, d, loc_of, frame_of_loc, &nlocs);
		if (!d)
			pyro_buf_uvarint(&ids, no_frame_loc);
		rec.len = 0;
		put_bytes(&rec, PB_S_LOCATION_ID, ids.data, ids.len);
		vals[2] = site->allocs;
		vals[3] = site->alloc_bytes;
		vals[4] = site->peak_bytes;
		put_values(&rec, vals, nvals);
		put_sub(&msg, PB_SAMPLE, &rec);
		if (msg.oom)
			goto oom;
	}

	for (i = 0; i < nlocs; i++) {
		sub.len = 0;
		if (frame_of_loc[i] == PYRO_NO_ID) {
			put_int(&sub, PB_LINE_FUNCTION_ID, v->nfns + 1);
		} else {
			put_int(&sub, PB_LINE_FUNCTION_ID, (uint64_t)v->fn_of[frame_of_loc[i]] + 1);
			put_int(&sub, PB_LINE_LINE, (uint64_t)(int64_t)p->frames[frame_of_loc[i]].line);
		}
		rec.len = 0;
		put_int(&rec, PB_LOC_ID, i + 1);
		put_sub(&rec, PB_LOC_LINE, &sub);
		put_sub(&msg, PB_LOCATION, &rec);
	}

	/* system_name is "name (file:first_line)". It must differ from name:
	 * pprof takes a function whose two names are equal as not yet
	 * demangled and strips "<...>" and "(...)" from it as if it were C++,
	 * which would turn "<module>" or "<lambda>" into nothing. */
	sysoff = malloc((v->nfns + 1) * sizeof(*sysoff));
	if (!sysoff)
		goto oom;
	for (i = 0; i < v->nfns; i++) {
		const struct pyro_view_fn *fn = &v->fns[i];

		sysoff[i] = sysnames.len;
		pyro_buf_printf(&sysnames, "%s (%s:%d)", pyro_profile_str(p, fn->name), pyro_profile_str(p, fn->file),
				fn->first_line);
		pyro_buf_putc(&sysnames, 0);
	}
	if (sysnames.oom)
		goto oom;
	for (i = 0; i < v->nfns; i++) {
		const struct pyro_view_fn *fn = &v->fns[i];
		const char *sys = (const char *)sysnames.data + sysoff[i];

		sub.len = 0;
		put_int(&sub, PB_F_ID, i + 1);
		put_int(&sub, PB_F_NAME, str_of(&st, p, fn->name));
		put_int(&sub, PB_F_SYSTEM_NAME, str_cstr(&st, sys));
		put_int(&sub, PB_F_FILENAME, str_of(&st, p, fn->file));
		put_int(&sub, PB_F_START_LINE, (uint64_t)(int64_t)fn->first_line);
		put_sub(&msg, PB_FUNCTION, &sub);
	}
	if (no_frame_loc) {
		sub.len = 0;
		put_int(&sub, PB_F_ID, v->nfns + 1);
		put_int(&sub, PB_F_NAME, str_cstr(&st, "(no Python frame)"));
		put_int(&sub, PB_F_SYSTEM_NAME, str_cstr(&st, "(no Python frame) (:0)"));
		put_sub(&msg, PB_FUNCTION, &sub);
	}

	put_int(&msg, PB_TIME_NANOS, p->header.start_ns);
	duration = p->end.present ? p->end.duration_ns : 0;
	if (!duration)
		for (i = 0; i < p->nsamples; i++)
			if (p->samples[i].time_ns > duration)
				duration = p->samples[i].time_ns;
	put_int(&msg, PB_DURATION_NANOS, duration);
	put_value_type(&msg, &sub, PB_PERIOD_TYPE, s_time, s_ns);
	put_int(&msg, PB_PERIOD, p->header.rate_hz ? 1000000000u / p->header.rate_hz : 0);
	vals[0] = str_add(&st, (const char *)cmdline.data, cmdline.len);
	vals[1] = str_cstr(&st, pyver);
	put_tag(&msg, PB_COMMENT, WIRE_LEN);
	pyro_buf_uvarint(&msg, varint_len(vals[0]) + varint_len(vals[1]));
	pyro_buf_uvarint(&msg, vals[0]);
	pyro_buf_uvarint(&msg, vals[1]);
	/* A memory-only recording opens on what a Go heap profile opens on. */
	put_int(&msg, PB_DEFAULT_SAMPLE_TYPE, mem && !v->nleaves ? s_inuse_space : s_time);

	if (st.oom)
		goto oom;
	for (i = 0; i < st.n; i++)
		put_bytes(&msg, PB_STRING_TABLE, st.e[i].s, st.e[i].len);
	if (msg.oom || sub.oom || ids.oom || rec.oom)
		goto oom;
	rc = gzip_to(msg.data, msg.len, out);
	goto out;
oom:
	rc = pyro_err_set(ENOMEM, "out of memory rendering pprof output");
out:
	free(st.e);
	free(st.of_profile);
	free(chain);
	free(loc_of);
	free(frame_of_loc);
	pyro_buf_release(&cmdline);
	free(pyver);
	pyro_buf_release(&msg);
	pyro_buf_release(&sub);
	pyro_buf_release(&ids);
	pyro_buf_release(&rec);
	pyro_buf_release(&sysnames);
	free(sysoff);
	return rc;
}
