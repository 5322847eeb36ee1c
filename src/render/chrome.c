/*
 * chrome.c - the profile as Trace Event Format JSON, for Perfetto
 * (ui.perfetto.dev) and chrome://tracing: one track per thread, on which
 * the samples are merged back into slices that look like function calls.
 *
 * Walking a thread's samples in time order, sample k stands for the
 * interval [time - weight, time] (clamped so that it starts no earlier
 * than the previous sample ended). A function that stays at the same depth
 * under the same callers across consecutive samples is one slice, from the
 * start of the first of those samples to the end of the last. Slices close
 * when the stack changes under them, when a sample has no Python frames,
 * and at a gap: a sample that starts more than two sampling intervals
 * after the previous one ended. Shorter gaps (a missed round; in cpu mode,
 * the time off the CPU between rounds) are bridged. A slice is a function
 * (name, file, first line), like a frame in the speedscope output; args
 * carry the file and the function's first line.
 *
 * Slices are complete events ("ph":"X") written parents first, in start
 * order per thread, so that readers which sort by timestamp alone still
 * nest a parent and a child that start together correctly. That takes two
 * walks of each thread: the first records when each slice ends, the
 * second writes them (memory: 8 bytes per slice of the largest thread).
 * Each event starts with ph, ts, dur, pid and tid, before any string, for
 * readers that scan for those keys.
 *
 * "displayTimeUnit" is deliberately not written: some Perfetto versions
 * take it as the unit of "ts", and "ms" would stretch every slice a
 * thousandfold. Viewers display milliseconds by default anyway.
 */
#include "render/render.h"
#include "render/textutil.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/outbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef PYROMETER_VERSION
#define PYROMETER_VERSION "unknown"
#endif

/* Sampling interval assumed when the header has no rate. */
#define DEFAULT_INTERVAL_NS 10000000ull
/* Thread ids made up for threads whose own would be ambiguous start here
 * (above Linux's largest pid, 2^22). */
#define SYNTHETIC_TID 0x40000000ull

/* Nanoseconds as microseconds with up to three decimals: exact, so that
 * nesting survives the trip through a JSON reader's doubles as well as
 * doubles allow. */
static void ob_us(struct pyro_outbuf *o, uint64_t ns)
{
	char frac[4];
	unsigned r = (unsigned)(ns % 1000);
	size_t len = 3;

	pyro_outbuf_u64(o, ns / 1000);
	if (!r)
		return;
	frac[0] = '.';
	frac[1] = (char)('0' + r / 100);
	frac[2] = (char)('0' + r / 10 % 10);
	frac[3] = (char)('0' + r % 10);
	while (frac[len] == '0')
		len--;
	pyro_outbuf_put(o, frac, len + 1);
}

struct chrome {
	const struct pyro_view *v;     /* borrowed */
	const struct pyro_profile *p;  /* borrowed */
	struct pyro_outbuf ob;
	char *fn_json;                 /* owned; per function: ,"name":..,"cat":..,"args":{..}} */
	size_t *fn_off;                /* owned; nfns + 1 offsets into fn_json */
	uint32_t *order;               /* owned; sample indexes grouped by thread */
	size_t *first;                 /* owned; nthreads + 1 */
	uint64_t *tid;                 /* owned; per thread: the tid written */
	uint32_t *fns;                 /* owned; max_depth: the sample's functions */
	uint32_t *open_fn;             /* owned; max_depth: the open slices */
	size_t *open_slot;
	uint64_t *ends;                /* owned; per slice of a thread, by opening order */
	size_t cap_ends;
	uint64_t gap_ns;               /* a longer gap closes every slice */
	uint64_t pid;
};

static int by_tid(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Each thread's own kernel tid, unless it is 0, too large for the readers
 * that keep tids in 32 bits, or taken by an earlier thread (the same OS
 * thread in a second interpreter): those get unused ids from
 * SYNTHETIC_TID up. Their names still say the real tid. */
static int assign_tids(struct chrome *c)
{
	const struct pyro_profile *p = c->p;
	uint64_t (*used)[2], next = SYNTHETIC_TID;
	size_t i, nused = 0, u = 0;

	c->tid = malloc((p->nthreads + 1) * sizeof(*c->tid));
	used = malloc((p->nthreads + 1) * sizeof(*used));
	if (!c->tid || !used) {
		free(used);
		return -ENOMEM;
	}
	for (i = 0; i < p->nthreads; i++) {
		uint64_t t = p->threads[i].native_id;

		c->tid[i] = UINT64_MAX; /* made up below unless kept */
		if (t > 0 && t <= INT32_MAX) {
			used[nused][0] = t;
			used[nused++][1] = i;
		}
	}
	/* By tid, then thread index: the first of each run keeps its tid. */
	qsort(used, nused, sizeof(*used), by_tid);
	for (i = 0; i < nused; i++)
		if (!i || used[i][0] != used[i - 1][0])
			c->tid[used[i][1]] = used[i][0];
	for (i = 0; i < p->nthreads; i++) {
		if (c->tid[i] != UINT64_MAX)
			continue;
		for (;;) {
			while (u < nused && used[u][0] < next)
				u++;
			if (u == nused || used[u][0] != next)
				break;
			next++;
		}
		c->tid[i] = next++;
	}
	free(used);
	return 0;
}

/* The constant tail of every slice of each function, escaped once:
 * function i's is fn_json[fn_off[i] .. fn_off[i + 1]). */
static int function_json(struct chrome *c)
{
	const struct pyro_view *v = c->v;
	size_t i, len = 0;
	FILE *m;

	c->fn_off = malloc((v->nfns + 1) * sizeof(*c->fn_off));
	if (!c->fn_off)
		return -ENOMEM;
	m = open_memstream(&c->fn_json, &len);
	if (!m)
		return -ENOMEM;
	for (i = 0; i < v->nfns; i++) {
		c->fn_off[i] = (size_t)ftell(m);
		fputs(",\"name\":", m);
		pyro_json_str(m, pyro_profile_str(c->p, v->fns[i].name));
		fputs(",\"cat\":\"python\",\"args\":{\"file\":", m);
		pyro_json_str(m, pyro_profile_str(c->p, v->fns[i].file));
		fputs(",\"line\":", m);
		pyro_json_i64(m, v->fns[i].first_line);
		fputs("}}", m);
	}
	c->fn_off[v->nfns] = (size_t)ftell(m);
	if (ferror(m) | fclose(m) || c->fn_off[v->nfns] != len)
		return -ENOMEM;
	return 0;
}

static void write_slice(struct chrome *c, const char *pidtid, size_t pidtid_len, uint32_t fn,
			uint64_t ts, uint64_t end)
{
	struct pyro_outbuf *o = &c->ob;

	PYRO_OUTBUF_LIT(o, ",\n{\"ph\":\"X\",\"ts\":");
	ob_us(o, ts);
	PYRO_OUTBUF_LIT(o, ",\"dur\":");
	ob_us(o, end - ts);
	pyro_outbuf_put(o, pidtid, pidtid_len);
	pyro_outbuf_put(o, c->fn_json + c->fn_off[fn], c->fn_off[fn + 1] - c->fn_off[fn]);
}

/* Walk thread t's samples. With write == 0, record in c->ends when each
 * slice ends (slices numbered in opening order); with write == 1, write
 * each slice when it opens, with the end recorded before. */
static int walk_thread(struct chrome *c, size_t t, int write, const char *pidtid, size_t pidtid_len)
{
	const struct pyro_view *v = c->v;
	const uint32_t *idx = c->order + c->first[t];
	size_t i, n = c->first[t + 1] - c->first[t], slot = 0;
	uint32_t depth = 0, k;
	uint64_t prev_end = 0;

	for (i = 0; i < n; i++) {
		const struct pyro_sample *s = &c->p->samples[idx[i]];
		uint64_t start = s->time_ns > s->weight_ns ? s->time_ns - s->weight_ns : 0, end;
		uint32_t d = 0, keep = 0;

		if (i && start < prev_end)
			start = prev_end;
		end = s->time_ns > start ? s->time_ns : start;
		if (s->stack != PYRO_NO_ID) {
			d = pyro_view_frames(v, s->stack, c->fns);
			for (k = 0; k < d; k++)
				c->fns[k] = v->fn_of[c->fns[k]];
		}
		if (i && start - prev_end <= c->gap_ns)
			while (keep < depth && keep < d && c->open_fn[keep] == c->fns[keep])
				keep++;
		if (!write)
			for (k = keep; k < depth; k++)
				c->ends[c->open_slot[k]] = prev_end;
		for (k = keep; k < d; k++) {
			if (!write && slot == c->cap_ends &&
			    pyro_array_grow((void **)&c->ends, &c->cap_ends, slot + 1, sizeof(*c->ends), SIZE_MAX / 16) < 0)
				return -ENOMEM;
			c->open_fn[k] = c->fns[k];
			c->open_slot[k] = slot;
			if (write)
				write_slice(c, pidtid, pidtid_len, c->fns[k], start, c->ends[slot]);
			slot++;
		}
		depth = d;
		prev_end = end;
	}
	if (!write)
		for (k = 0; k < depth; k++)
			c->ends[c->open_slot[k]] = prev_end;
	return 0;
}

/* A pid as the trace's: Linux pids fit 32 bits; anything else reads as 1. */
static uint64_t trace_pid(uint64_t pid)
{
	return pid > 0 && pid <= INT32_MAX ? pid : 1;
}

static void meta(FILE *out, const char *what, uint64_t pid, uint64_t tid, const char *key)
{
	fputs(",\n{\"ph\":\"M\",\"pid\":", out);
	pyro_json_u64(out, pid);
	fputs(",\"tid\":", out);
	pyro_json_u64(out, tid);
	fprintf(out, ",\"name\":\"%s\",\"args\":{\"%s\":", what, key);
}

static void other_data(FILE *out, const struct pyro_view *v, const char *cmd, size_t cmd_len)
{
	const struct pyro_profile *p = v->p;
	const struct pyro_header *h = &p->header;

	fputs("\"otherData\":{\"exporter\":", out);
	pyro_json_str(out, "pyrometer " PYROMETER_VERSION);
	fputs(",\"producer\":", out);
	pyro_json_str(out, h->producer ? h->producer : "");
	fputs(",\"command\":", out);
	pyro_json_strn(out, cmd, cmd_len);
	fputs(",\"python_version\":", out);
	pyro_json_str(out, h->python_version ? h->python_version : "");
	fputs(",\"pid\":", out);
	pyro_json_u64(out, h->pid);
	fputs(",\"start_ns\":", out);
	pyro_json_u64(out, h->start_ns);
	fputs(",\"mode\":", out);
	pyro_json_str(out, pyro_mode_name(h->mode));
	fputs(",\"rate_hz\":", out);
	pyro_json_u64(out, h->rate_hz);
	fputs(",\"samples\":", out);
	pyro_json_u64(out, v->samples);
	fputs(",\"sample_ns\":", out);
	pyro_json_u64(out, v->total_ns);
	if (p->end.present) {
		fputs(",\"duration_ns\":", out);
		pyro_json_u64(out, p->end.duration_ns);
		fputs(",\"errors\":", out);
		pyro_json_u64(out, p->end.errors);
	}
	fputs(",\"ts_origin\":\"start of recording\"}", out);
}

int pyro_render_chrome(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	const struct pyro_profile *p = v->p;
	struct chrome c;
	struct pyro_buf label, cmd;
	size_t t, d = (size_t)v->max_depth + 1;
	int rc = 0;

	(void)o;
	memset(&c, 0, sizeof(c));
	c.v = v;
	c.p = p;
	pyro_buf_init(&label);
	pyro_buf_init(&cmd);
	c.pid = trace_pid(p->header.pid);
	c.gap_ns = 2 * (p->header.rate_hz ? 1000000000ull / p->header.rate_hz : DEFAULT_INTERVAL_NS);
	c.fns = malloc(d * sizeof(*c.fns));
	c.open_fn = malloc(d * sizeof(*c.open_fn));
	c.open_slot = malloc(d * sizeof(*c.open_slot));
	if (pyro_outbuf_init(&c.ob, out) < 0 || !c.fns || !c.open_fn || !c.open_slot)
		goto oom;
	if (pyro_view_samples_by_thread(p, &c.order, &c.first) < 0 || assign_tids(&c) < 0 || function_json(&c) < 0)
		goto oom;
	pyro_command_line(&cmd, p);
	if (cmd.oom)
		goto oom;

	fputs("{\"traceEvents\":[\n{\"ph\":\"M\",\"pid\":", out);
	pyro_json_u64(out, c.pid);
	fputs(",\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":", out);
	pyro_json_strn(out, (const char *)cmd.data, cmd.len);
	fputs("}}", out);
	/* --subprocesses: each child is a process of the trace. */
	for (t = 0; t < p->nprocesses; t++) {
		const struct pyro_process *pr = &p->processes[t];
		size_t a;

		cmd.len = 0;
		for (a = 0; a < pr->argc; a++) {
			const char *s = pyro_profile_str(p, pr->argv[a]);

			if (a)
				pyro_buf_putc(&cmd, ' ');
			pyro_buf_append(&cmd, s, strlen(s));
		}
		if (cmd.oom)
			goto oom;
		meta(out, "process_name", trace_pid(pr->pid), 0, "name");
		pyro_json_strn(out, (const char *)cmd.data, cmd.len);
		fputs("}}", out);
	}
	pyro_command_line(&cmd, p);
	if (cmd.oom)
		goto oom;
	for (t = 0; t < p->nthreads; t++) {
		uint64_t pid = p->threads[t].pid ? trace_pid(p->threads[t].pid) : c.pid;

		pyro_thread_label(&label, v, t);
		if (label.oom)
			goto oom;
		meta(out, "thread_name", pid, c.tid[t], "name");
		pyro_json_strn(out, (const char *)label.data, label.len);
		fputs("}}", out);
		meta(out, "thread_sort_index", pid, c.tid[t], "sort_index");
		pyro_json_u64(out, t);
		fputs("}}", out);
	}
	for (t = 0; t < p->nthreads; t++) {
		char pidtid[64];
		uint64_t pid = p->threads[t].pid ? trace_pid(p->threads[t].pid) : c.pid;
		int len = snprintf(pidtid, sizeof(pidtid), ",\"pid\":%llu,\"tid\":%llu", (unsigned long long)pid,
				   (unsigned long long)c.tid[t]);

		if (walk_thread(&c, t, 0, pidtid, (size_t)len) < 0)
			goto oom;
		walk_thread(&c, t, 1, pidtid, (size_t)len);
		pyro_outbuf_flush(&c.ob);
	}
	fputs("\n],\n", out);
	other_data(out, v, (const char *)cmd.data, cmd.len);
	fputs("}\n", out);
	if (ferror(out))
		rc = pyro_err_set(EIO, "cannot write the trace");
	goto out;
oom:
	rc = pyro_err_set(ENOMEM, "out of memory rendering the trace");
out:
	free(c.fn_json);
	pyro_buf_release(&label);
	pyro_buf_release(&cmd);
	free(c.fn_off);
	free(c.order);
	free(c.first);
	free(c.tid);
	free(c.fns);
	free(c.open_fn);
	free(c.open_slot);
	free(c.ends);
	pyro_outbuf_release(&c.ob);
	return rc;
}
