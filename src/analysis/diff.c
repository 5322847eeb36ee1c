/*
 * diff.c - match two profiles' functions and lines by content (diff.h).
 *
 * Shares of the change are taken of the net change in Python time when it
 * is at least 1% of the longer run; below that (two runs of equal length
 * where time moved between functions), a share of a near-zero net change
 * would be huge and meaningless, so they are taken of the gross change,
 * the sum of every function's |change|.
 */
#include "analysis/diff.h"
#include "util/hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct table {
	struct pyro_diff_row *rows;
	size_t n, cap;
	struct pyro_hash ix;
};

static uint64_t row_key(const char *name, const char *file, int32_t first_line, int32_t line)
{
	uint64_t h = pyro_hash_bytes(name, strlen(name));

	h = pyro_hash_mix(h ^ pyro_hash_bytes(file, strlen(file)));
	h = pyro_hash_mix(h ^ ((uint64_t)(uint32_t)first_line << 32 | (uint32_t)line));
	return h | 1;
}

/* The row for this content, added (zeroed) when new; NULL on ENOMEM. */
static struct pyro_diff_row *row_for(struct table *t, const char *name, const char *file, int32_t first_line,
				     int32_t line)
{
	uint64_t key = row_key(name, file, first_line, line), idx;

	for (;; key += 2) {
		struct pyro_diff_row *r;

		if (!pyro_hash_get(&t->ix, key, &idx))
			break;
		r = &t->rows[idx];
		if (r->first_line == first_line && r->line == line && !strcmp(r->name, name) && !strcmp(r->file, file))
			return r;
	}
	if (t->n == t->cap && pyro_array_grow((void **)&t->rows, &t->cap, t->n + 1, sizeof(*t->rows), PYRO_MAX_TABLE) < 0)
		return NULL;
	if (pyro_hash_put(&t->ix, key, t->n) < 0)
		return NULL;
	memset(&t->rows[t->n], 0, sizeof(t->rows[t->n]));
	t->rows[t->n].name = name;
	t->rows[t->n].file = file;
	t->rows[t->n].first_line = first_line;
	t->rows[t->n].line = line;
	return &t->rows[t->n++];
}

static int add_run(struct table *fns, struct table *lines, const struct pyro_view *v, int after)
{
	const struct pyro_profile *p = v->p;
	struct pyro_stats st;
	size_t i;
	int rc = 0;

	if (pyro_stats_compute(&st, v) < 0)
		return -ENOMEM;
	for (i = 0; i < v->nfns; i++) {
		const struct pyro_view_fn *f = &v->fns[i];
		struct pyro_diff_row *r;

		if (!st.fn[i].total_ns && !st.fn[i].total_samples)
			continue;
		r = row_for(fns, pyro_profile_str(p, f->name), pyro_profile_str(p, f->file), f->first_line, 0);
		if (!r) {
			rc = -ENOMEM;
			goto out;
		}
		*(after ? &r->after : &r->before) = st.fn[i];
	}
	for (i = 0; i < st.nlines; i++) {
		const struct pyro_line_totals *l = &st.lines[i];
		const struct pyro_view_fn *f = &v->fns[l->fn];
		struct pyro_diff_row *r;

		if (!l->t.total_ns && !l->t.total_samples)
			continue;
		r = row_for(lines, pyro_profile_str(p, f->name), pyro_profile_str(p, f->file), f->first_line, l->line);
		if (!r) {
			rc = -ENOMEM;
			goto out;
		}
		*(after ? &r->after : &r->before) = l->t;
	}
out:
	pyro_stats_release(&st);
	return rc;
}

static int by_impact(const void *a, const void *b)
{
	const struct pyro_diff_row *x = a, *y = b;
	uint64_t ax = x->change_ns < 0 ? (uint64_t)0 - (uint64_t)x->change_ns : (uint64_t)x->change_ns;
	uint64_t ay = y->change_ns < 0 ? (uint64_t)0 - (uint64_t)y->change_ns : (uint64_t)y->change_ns;
	int c;

	if (ax != ay)
		return ax < ay ? 1 : -1;
	if (x->after.self_ns != y->after.self_ns)
		return x->after.self_ns < y->after.self_ns ? 1 : -1;
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	c = strcmp(x->file, y->file);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void finish(struct pyro_diff_row *rows, size_t n, const struct pyro_diff *d)
{
	double basis = d->basis_is_net ? (double)d->net_ns : (double)d->gross_ns;
	size_t i;

	for (i = 0; i < n; i++) {
		struct pyro_diff_row *r = &rows[i];

		r->before_share = d->before_ns ? (double)r->before.self_ns / (double)d->before_ns : 0;
		r->after_share = d->after_ns ? (double)r->after.self_ns / (double)d->after_ns : 0;
		r->share_of_change = basis != 0 ? (double)r->change_ns / basis : 0;
	}
	if (n)
		qsort(rows, n, sizeof(*rows), by_impact);
}

int pyro_diff_compute(struct pyro_diff *d, const struct pyro_view *before, const struct pyro_view *after)
{
	struct table fns = { 0 }, lines = { 0 };
	uint64_t longer;
	size_t i;

	memset(d, 0, sizeof(*d));
	pyro_hash_init(&fns.ix);
	pyro_hash_init(&lines.ix);
	if (add_run(&fns, &lines, before, 0) < 0 || add_run(&fns, &lines, after, 1) < 0) {
		free(fns.rows);
		free(lines.rows);
		pyro_hash_release(&fns.ix);
		pyro_hash_release(&lines.ix);
		return -ENOMEM;
	}
	pyro_hash_release(&fns.ix);
	pyro_hash_release(&lines.ix);
	d->fns = fns.rows;
	d->nfns = fns.n;
	d->lines = lines.rows;
	d->nlines = lines.n;
	d->before_ns = before->total_ns - before->idle_ns;
	d->after_ns = after->total_ns - after->idle_ns;
	d->net_ns = (int64_t)(d->after_ns - d->before_ns);
	for (i = 0; i < d->nfns; i++) {
		struct pyro_diff_row *r = &d->fns[i];

		r->change_ns = (int64_t)(r->after.self_ns - r->before.self_ns);
		d->gross_ns += r->change_ns < 0 ? (uint64_t)0 - (uint64_t)r->change_ns : (uint64_t)r->change_ns;
	}
	for (i = 0; i < d->nlines; i++)
		d->lines[i].change_ns = (int64_t)(d->lines[i].after.self_ns - d->lines[i].before.self_ns);
	longer = d->before_ns > d->after_ns ? d->before_ns : d->after_ns;
	d->basis_is_net = d->net_ns != 0 &&
			  (double)(d->net_ns < 0 ? -(double)d->net_ns : (double)d->net_ns) >= 0.01 * (double)longer;
	finish(d->fns, d->nfns, d);
	finish(d->lines, d->nlines, d);
	return 0;
}

void pyro_diff_release(struct pyro_diff *d)
{
	free(d->fns);
	free(d->lines);
	memset(d, 0, sizeof(*d));
}
