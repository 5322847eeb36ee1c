/*
 * text.c - the summary printed by `record` at exit and by `report`.
 */
#include "analysis/stats.h"
#include "analysis/memory.h"
#include "render/render.h"
#include "render/textutil.h"
#include "util/err.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The text of line `lineno` of `path`, stripped and cut to fit, or "" when
 * the file cannot be read (frozen modules, another machine's paths). Only
 * the handful of hottest lines are looked up, so the file is read plainly. */
static void source_line(const char *path, int lineno, char *out, size_t n)
{
	char buf[512];
	FILE *f;
	int cur = 0;

	out[0] = '\0';
	if (lineno <= 0 || path[0] == '<' || !(f = fopen(path, "r")))
		return;
	while (fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);

		if (len && buf[len - 1] != '\n' && !feof(f))
			continue; /* a long physical line: count it once, at its end */
		if (++cur == lineno) {
			char *p = buf;

			while (*p == ' ' || *p == '\t')
				p++;
			p[strcspn(p, "\r\n")] = '\0';
			if (strlen(p) > 60)
				strcpy(p + 57, "...");
			snprintf(out, n, "%s", p);
			break;
		}
	}
	fclose(f);
}

#define INTERPS_SHOWN 16

/* "  threads by interpreter: 0: 2, 1: 1" when sub-interpreters ran;
 * the threads counted in the samples line. */
static void put_interpreters(const struct pyro_view *v, FILE *out)
{
	const struct pyro_profile *p = v->p;
	int64_t id[INTERPS_SHOWN];
	size_t count[INTERPS_SHOWN], n = 0, more = 0, i, j;

	for (i = 0; i < p->nthreads; i++) {
		if (!v->thread_samples[i])
			continue;
		for (j = 0; j < n && id[j] != p->threads[i].interp; j++)
			;
		if (j == n && n == INTERPS_SHOWN) {
			more++;
			continue;
		}
		if (j == n) {
			id[n] = p->threads[i].interp;
			count[n++] = 0;
		}
		count[j]++;
	}
	if (n + more < 2 && (n == 0 || id[0] == 0))
		return;
	fprintf(out, "  threads by interpreter:");
	for (j = 0; j < n; j++)
		fprintf(out, "%s %lld: %zu", j ? "," : "", (long long)id[j], count[j]);
	fprintf(out, "%s\n", more ? ", ..." : "");
}

/* s made safe for a terminal, cut to at most max bytes at a character
 * boundary, with "~" marking the cut; buf holds max + 1 bytes at least. */
static const char *fit(const char *s, char *buf, size_t max)
{
	char tmp[256];
	const char *safe = pyro_safe(s, tmp, sizeof(tmp));
	size_t n = strlen(safe);

	if (n <= max)
		return safe;
	n = max - 1;
	while (n > 0 && ((unsigned char)safe[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, safe, n);
	buf[n] = '~';
	buf[n + 1] = '\0';
	return buf;
}

static const uint64_t *times_of(const struct pyro_profile *p, size_t i)
{
	return p->threads[i].times_ns;
}

static int by_running(const void *a, const void *b, void *arg)
{
	const struct pyro_profile *p = arg;
	const uint64_t *x = times_of(p, *(const uint32_t *)a), *y = times_of(p, *(const uint32_t *)b);

	if (x[PYRO_TIME_RUNNING] != y[PYRO_TIME_RUNNING])
		return x[PYRO_TIME_RUNNING] < y[PYRO_TIME_RUNNING] ? 1 : -1;
	if (x[PYRO_TIME_OBSERVED] != y[PYRO_TIME_OBSERVED])
		return x[PYRO_TIME_OBSERVED] < y[PYRO_TIME_OBSERVED] ? 1 : -1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

/* Each thread's share of the time it was seen running, holding the GIL,
 * waiting for it and idle (format 1.2 files; older ones have no times).
 * Shares are of each thread's own observed time, so they do not depend on
 * what the mode recorded. */
static int put_threads(const struct pyro_view *v, size_t top, FILE *out)
{
	const struct pyro_profile *p = v->p;
	uint32_t *order;
	size_t i, n = 0, several_pids = 0;
	char nb[64];

	for (i = 0; i < p->nthreads; i++)
		several_pids |= p->threads[i].pid && p->threads[i].pid != p->header.pid;
	if (!(order = malloc((p->nthreads ? p->nthreads : 1) * sizeof(*order))))
		return -ENOMEM;
	for (i = 0; i < p->nthreads; i++)
		if (p->threads[i].times_ns[PYRO_TIME_OBSERVED])
			order[n++] = (uint32_t)i;
	if (n == 0) {
		free(order);
		return 0;
	}
	qsort_r(order, n, sizeof(*order), by_running, (void *)p);
	fprintf(out, "\nThreads (share of the time each was seen)\n");
	fprintf(out, "  %s%8s  %-20s %8s %9s %9s %7s\n", several_pids ? "     pid " : "", "tid", "name", "running",
		"GIL held", "GIL wait", "idle");
	for (i = 0; i < n && i < top; i++) {
		const struct pyro_thread *t = &p->threads[order[i]];
		const uint64_t *x = t->times_ns, seen = x[PYRO_TIME_OBSERVED];

		if (several_pids)
			fprintf(out, "  %8llu", (unsigned long long)(t->pid ? t->pid : p->header.pid));
		fprintf(out, "  %8llu  %-20s %7.1f%% %8.1f%% %8.1f%% %6.1f%%\n", (unsigned long long)t->native_id,
			t->name == PYRO_NO_ID ? "-" : fit(pyro_profile_str(p, t->name), nb, 20),
			pyro_pct(x[PYRO_TIME_RUNNING], seen), pyro_pct(x[PYRO_TIME_GIL_HELD], seen),
			pyro_pct(x[PYRO_TIME_GIL_WAIT], seen), pyro_pct(x[PYRO_TIME_IDLE], seen));
	}
	if (n > top)
		fprintf(out, "  (%zu more threads)\n", n - top);
	free(order);
	return 0;
}

#define PROCESSES_SHOWN 8

/* --subprocesses: the children joined, with their command lines. */
static void put_processes(const struct pyro_profile *p, FILE *out)
{
	size_t i, a;
	char ab[128];

	if (!p->nprocesses)
		return;
	fprintf(out, "  subprocesses: %zu Python process%s joined\n", p->nprocesses, p->nprocesses == 1 ? "" : "es");
	for (i = 0; i < p->nprocesses && i < PROCESSES_SHOWN; i++) {
		const struct pyro_process *pr = &p->processes[i];

		fprintf(out, "    pid %llu (child of %llu, Python %s):", (unsigned long long)pr->pid,
			(unsigned long long)pr->ppid, pr->version == PYRO_NO_ID ? "?" : pyro_profile_str(p, pr->version));
		for (a = 0; a < pr->argc && a < 8; a++)
			fprintf(out, " %s", pyro_safe(pyro_profile_str(p, pr->argv[a]), ab, sizeof(ab)));
		fprintf(out, "%s\n", pr->argc > 8 ? " ..." : "");
	}
	if (p->nprocesses > PROCESSES_SHOWN)
		fprintf(out, "    (%zu more)\n", p->nprocesses - PROCESSES_SHOWN);
}

/* One row of a function table: first the time sorted on, then the other. */
static void put_fn_row(FILE *out, const struct pyro_view *v, uint32_t fn, uint64_t first, uint64_t second)
{
	const struct pyro_view_fn *f = &v->fns[fn];
	char t1[32], t2[32], nb[512], fb[512];

	pyro_fmt_time(t1, sizeof(t1), first);
	pyro_fmt_time(t2, sizeof(t2), second);
	fprintf(out, "  %6.1f%% %10s %6.1f%% %10s  %s  %s:%d\n", pyro_pct(first, v->total_ns), t1,
		pyro_pct(second, v->total_ns), t2, pyro_safe(pyro_profile_str(v->p, f->name), nb, sizeof(nb)),
		pyro_show_path(pyro_safe(pyro_profile_str(v->p, f->file), fb, sizeof(fb))), f->first_line);
}

static void put_mem_where(FILE *out, const struct pyro_view *v, uint32_t fn, int32_t line)
{
	const struct pyro_profile *p = v->p;
	char nb[512], fb[512], src[80];

	if (fn == UINT32_MAX) {
		fprintf(out, "(no Python frame)\n");
		return;
	}
	source_line(pyro_profile_str(p, v->fns[fn].file), line, src, sizeof(src));
	fprintf(out, "%s:%d  %s%s%s\n", pyro_show_path(pyro_safe(pyro_profile_str(p, v->fns[fn].file), fb, sizeof(fb))), line,
		pyro_safe(pyro_profile_str(p, v->fns[fn].name), nb, sizeof(nb)), src[0] ? "    | " : "", src);
}

static void put_mem_lines(FILE *out, const struct pyro_view *v, const struct pyro_mem_stats *ms, enum pyro_mem_measure m,
			  const char *title, size_t top)
{
	size_t i;
	char b[32];

	if (!ms->nline_order[m])
		return;
	fprintf(out, "\n%s\n  %10s %6s  %s\n", title, "bytes", "share", "line");
	for (i = 0; i < ms->nline_order[m] && i < top; i++) {
		const struct pyro_mem_line *l = &ms->lines[ms->line_order[m][i]];

		pyro_fmt_bytes(b, sizeof(b), (double)l->bytes[m]);
		fprintf(out, "  %10s %5.1f%%  ", b, pyro_pct(l->bytes[m], ms->total[m]));
		put_mem_where(out, v, l->fn, l->line);
	}
}

/* A stack as "outer > ... > inner", the outermost frames dropped first. */
static void put_mem_stack(FILE *out, const struct pyro_view *v, uint32_t stack)
{
	const struct pyro_profile *p = v->p;
	uint32_t chain[8];
	size_t n = 0, depth = 0, i;
	char nb[512];

	for (; stack != PYRO_NO_ID && stack < p->nstacks; stack = p->stacks[stack].parent, depth++)
		if (n < 8)
			chain[n++] = stack;
	if (!n) {
		fprintf(out, "(no Python frame)\n");
		return;
	}
	if (depth > n)
		fprintf(out, "... > ");
	for (i = n; i-- > 0;) {
		const struct pyro_frame *f = &p->frames[p->stacks[chain[i]].frame];

		fprintf(out, "%s:%d%s", pyro_safe(pyro_profile_str(p, f->name), nb, sizeof(nb)), f->line, i ? " > " : "\n");
	}
}

/* The memory sections, when the agent recorded any (record --memory). */
static int put_memory(FILE *out, const struct pyro_view *v, size_t top)
{
	const struct pyro_memory *m = &v->p->memory;
	struct pyro_mem_stats ms;
	char b1[32], b2[32], b3[32], b4[32], how[96];
	size_t i;

	if (!m->present)
		return 0;
	if (pyro_mem_stats_compute(&ms, v) < 0)
		return -ENOMEM;
	if (m->flags & PYRO_MEM_EXACT)
		snprintf(how, sizeof(how), "every allocation recorded");
	else
		pyro_fmt_bytes(b1, sizeof(b1), (double)m->sample_bytes),
		snprintf(how, sizeof(how), "sampled every %s on average: estimates", b1);
	fprintf(out, "\nMemory (%s%s)\n", how, m->flags & PYRO_MEM_NATIVE ? "; C allocations included" : "");
	if (m->flags & PYRO_MEM_DISABLED)
		fprintf(out, "  the agent turned itself off: %s\n", m->message);
	pyro_fmt_bytes(b1, sizeof(b1), (double)m->peak_bytes);
	pyro_fmt_bytes(b2, sizeof(b2), (double)ms.total[PYRO_MEM_ALLOCATED]);
	pyro_fmt_bytes(b3, sizeof(b3), (double)ms.total[PYRO_MEM_TEMPORARY]);
	pyro_fmt_bytes(b4, sizeof(b4), (double)ms.total[PYRO_MEM_LEAKED]);
	fprintf(out, "  peak %s at %.2fs; %s allocated, %s of it freed within %.0fms (churn); %s %s\n", b1,
		(double)m->peak_time_ns / 1e9, b2, b3, (double)m->churn_ns / 1e6, b4,
		m->flags & PYRO_MEM_ENDED ? "still held at exit" : "held when recording stopped");
	put_mem_lines(out, v, &ms, PYRO_MEM_AT_PEAK, "Memory held at the peak, by line", top);
	if (ms.nsite_order[PYRO_MEM_AT_PEAK]) {
		fprintf(out, "\nMemory held at the peak, by stack\n  %10s %6s  %s\n", "bytes", "share", "stack (outermost first)");
		for (i = 0; i < ms.nsite_order[PYRO_MEM_AT_PEAK] && i < top; i++) {
			const struct pyro_mem_site *s = &m->sites[ms.site_order[PYRO_MEM_AT_PEAK][i]];

			pyro_fmt_bytes(b1, sizeof(b1), (double)s->peak_bytes);
			fprintf(out, "  %10s %5.1f%%  ", b1, pyro_pct(s->peak_bytes, ms.total[PYRO_MEM_AT_PEAK]));
			put_mem_stack(out, v, s->stack);
		}
	}
	put_mem_lines(out, v, &ms, PYRO_MEM_ALLOCATED, "Memory allocated, by line", top);
	if (ms.nleaks) {
		fprintf(out, "\nLeak candidates (%s, most first; growth: the trend of what it held)\n  %10s %12s  %s\n",
			m->flags & PYRO_MEM_ENDED ? "still held at exit" : "held when recording stopped", "held",
			"growth", "stack (outermost first)");
		for (i = 0; i < ms.nleaks && i < top; i++) {
			const struct pyro_mem_leak *l = &ms.leaks[i];

			pyro_fmt_bytes(b1, sizeof(b1), (double)l->held);
			pyro_fmt_bytes(b2, sizeof(b2), l->growth > 0 ? l->growth : 0);
			fprintf(out, "  %10s %10s/s  ", b1, b2);
			put_mem_stack(out, v, m->sites[l->site].stack);
		}
	}
	pyro_mem_stats_release(&ms);
	return 0;
}

int pyro_render_text(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	const struct pyro_profile *p = v->p;
	const struct pyro_header *h = &p->header;
	struct pyro_stats st;
	uint32_t *order = NULL;
	char t1[32], nb[512], fb[512], target[16];
	size_t i, n, top = o && o->top ? o->top : 10, threads = 0;
	uint64_t ticks, duration, thread_samples;
	double rate;
	int rc = 0;

	if (pyro_stats_compute(&st, v) < 0)
		return pyro_err_set(ENOMEM, "out of memory summarizing the profile");
	for (i = 0; i < p->nthreads; i++)
		threads += v->thread_samples[i] != 0;
	if (p->end.present) {
		ticks = p->end.ticks;
		duration = p->end.duration_ns;
	} else {
		ticks = 0;
		for (i = 0; i < p->nsamples; i++)
			if (i == 0 || p->samples[i].time_ns != p->samples[i - 1].time_ns)
				ticks++;
		duration = p->nsamples ? p->samples[p->nsamples - 1].time_ns : 0;
	}
	thread_samples = v->samples + p->end.errors;
	rate = duration ? (double)ticks * 1e9 / (double)duration : 0.0;

	pyro_fmt_time(t1, sizeof(t1), duration);
	fprintf(out, "pyrometer: pid %llu, Python %s, %s mode, %s\n", (unsigned long long)h->pid, h->python_version,
		pyro_mode_name(h->mode), t1);
	if (h->argc) {
		fprintf(out, "  command:");
		for (i = 0; i < h->argc && i < 16; i++)
			fprintf(out, " %s", h->argv[i]);
		fprintf(out, "%s\n", h->argc > 16 ? " ..." : "");
	}
	if (h->rate_hz)
		snprintf(target, sizeof(target), "%u Hz", h->rate_hz);
	else
		snprintf(target, sizeof(target), "max"); /* record -r max */
	fprintf(out, "  samples %llu at %.1f Hz (target %s), %zu thread%s, errors %llu (%.2f%%), "
		"saturated %llu (%.2f%%)\n",
		(unsigned long long)ticks, rate, target, threads, threads == 1 ? "" : "s",
		(unsigned long long)p->end.errors, pyro_pct(p->end.errors, thread_samples),
		(unsigned long long)p->end.saturated, pyro_pct(p->end.saturated, ticks));
	put_interpreters(v, out);
	put_processes(p, out);
	if (p->end.present && p->end.exit_status)
		fprintf(out, "  target exited with status %llu\n", (unsigned long long)(p->end.exit_status - 1));
	if (put_threads(v, top, out) < 0)
		goto oom;
	if (put_memory(out, v, top) < 0)
		goto oom;
	if (!v->total_ns) {
		if (!p->memory.present)
			fprintf(out, "\nNo Python samples were recorded.\n");
		goto out;
	}

	if (!(order = pyro_stats_fns_sorted(&st, v->nfns, 0)))
		goto oom;
	fprintf(out, "\nTop functions by self time\n");
	fprintf(out, "  %7s %10s %7s %10s  %s\n", "self%", "self", "total%", "total", "function");
	for (i = 0; i < v->nfns && i < top && st.fn[order[i]].self_ns; i++)
		put_fn_row(out, v, order[i], st.fn[order[i]].self_ns, st.fn[order[i]].total_ns);

	free(order);
	if (!(order = pyro_stats_fns_sorted(&st, v->nfns, 1)))
		goto oom;
	fprintf(out, "\nTop functions by total time\n");
	fprintf(out, "  %7s %10s %7s %10s  %s\n", "total%", "total", "self%", "self", "function");
	for (i = 0; i < v->nfns && i < top && st.fn[order[i]].total_ns; i++)
		put_fn_row(out, v, order[i], st.fn[order[i]].total_ns, st.fn[order[i]].self_ns);

	free(order);
	if (!(order = pyro_stats_lines_sorted(&st, &n)))
		goto oom;
	fprintf(out, "\nHottest lines\n");
	fprintf(out, "  %7s %10s  %s\n", "self%", "self", "line");
	for (i = 0; i < n && i < top && st.lines[order[i]].t.self_ns; i++) {
		const struct pyro_line_totals *l = &st.lines[order[i]];
		const struct pyro_view_fn *f = &v->fns[l->fn];
		char src[80];

		pyro_fmt_time(t1, sizeof(t1), l->t.self_ns);
		source_line(pyro_profile_str(p, f->file), l->line, src, sizeof(src));
		fprintf(out, "  %6.1f%% %10s  %s:%d  %s%s%s\n", pyro_pct(l->t.self_ns, v->total_ns), t1,
			pyro_show_path(pyro_safe(pyro_profile_str(p, f->file), fb, sizeof(fb))), l->line,
			pyro_safe(pyro_profile_str(p, f->name), nb, sizeof(nb)), src[0] ? "    | " : "", src);
	}
	goto out;
oom:
	rc = pyro_err_set(ENOMEM, "out of memory summarizing the profile");
out:
	free(order);
	pyro_stats_release(&st);
	if (rc == 0 && ferror(out))
		rc = pyro_err_set(EIO, "cannot write the report");
	return rc;
}
