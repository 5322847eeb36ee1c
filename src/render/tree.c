/*
 * tree.c - the call tree as text, one tree per thread (busiest first):
 *
 *     total    self
 *    100.0%    0.0%  <module>  app.py:1
 *     99.0%    1.0%  ├─ main  app.py:40
 *     60.0%   60.0%  │  ├─ score  app.py:22
 *
 * Percentages are of the thread's time. Calls under --min-percent of it
 * are hidden and summed in one line under their caller, so what is shown
 * still adds up. Walks the tree without recursion (stacks run 8000 deep).
 */
#include "analysis/tree.h"
#include "render/render.h"
#include "render/textutil.h"
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>

#define TREE_MAX_INDENT 40  /* deeper levels print as one "[depth N]" marker */

struct tree_out {
	const struct pyro_view *v;
	const struct pyro_tree *t;
	FILE *out;
	uint64_t whole;       /* the thread's time */
	double min_ns;
	uint8_t *last;        /* per depth: the node on the path is its parent's last shown child */
};

static int shown(const struct tree_out *o, uint32_t n)
{
	return n != PYRO_NO_ID && (double)o->t->nodes[n].total_ns >= o->min_ns && o->t->nodes[n].total_ns > 0;
}

static void put_indent(const struct tree_out *o, uint32_t depth)
{
	uint32_t d, from = 2;

	if (depth > TREE_MAX_INDENT) {
		fprintf(o->out, "[depth %u] ", depth);
		from = depth - TREE_MAX_INDENT / 2;
	}
	for (d = from; d < depth; d++)
		fputs(o->last[d] ? "   " : "\xe2\x94\x82  ", o->out);
}

static void put_node(const struct tree_out *o, uint32_t n)
{
	const struct pyro_tree_node *node = &o->t->nodes[n];
	const struct pyro_view_fn *fn = &o->v->fns[node->fn];
	char nb[512], fb[512];

	fprintf(o->out, "  %6.1f%%  %6.1f%%  ", pyro_pct(node->total_ns, o->whole), pyro_pct(node->self_ns, o->whole));
	put_indent(o, node->depth);
	if (node->depth > 1)
		fputs(o->last[node->depth] ? "\xe2\x94\x94\xe2\x94\x80 " : "\xe2\x94\x9c\xe2\x94\x80 ", o->out);
	fprintf(o->out, "%s  %s:%d\n", pyro_safe(pyro_profile_str(o->v->p, fn->name), nb, sizeof(nb)),
		pyro_show_path(pyro_safe(pyro_profile_str(o->v->p, fn->file), fb, sizeof(fb))), fn->first_line);
}

/* "(3 more calls under 0.5%: 0.9%)" under n, when it has hidden children. */
static void put_hidden(const struct tree_out *o, uint32_t n, double min_percent)
{
	const struct pyro_tree_node *node = &o->t->nodes[n];
	uint64_t ns = 0, count = 0;
	uint32_t c;

	for (c = node->first_child; c != PYRO_NO_ID; c = o->t->nodes[c].next_sibling)
		if (!shown(o, c)) {
			ns += o->t->nodes[c].total_ns;
			count++;
		}
	if (!count)
		return;
	fprintf(o->out, "  %6.1f%%  %7s  ", pyro_pct(ns, o->whole), "");
	put_indent(o, node->depth + 1);
	if (node->depth >= 1)
		fputs("   ", o->out);
	fprintf(o->out, "(%llu more call%s under %g%%)\n", (unsigned long long)count, count == 1 ? "" : "s",
		min_percent);
}

static uint32_t next_shown_sibling(const struct tree_out *o, uint32_t n)
{
	uint32_t s = o->t->nodes[n].next_sibling;

	return shown(o, s) ? s : PYRO_NO_ID;
}

static void put_thread_tree(struct tree_out *o, uint32_t root, double min_percent)
{
	const struct pyro_tree_node *nodes = o->t->nodes;
	uint32_t n = shown(o, nodes[root].first_child) ? nodes[root].first_child : PYRO_NO_ID;

	if (n == PYRO_NO_ID)
		fprintf(o->out, "  (every call is under %g%% of this thread)\n", min_percent);
	while (n != PYRO_NO_ID) {
		uint32_t c;

		o->last[nodes[n].depth] = next_shown_sibling(o, n) == PYRO_NO_ID;
		put_node(o, n);
		c = nodes[n].first_child;
		if (shown(o, c)) {
			n = c;
			continue;
		}
		put_hidden(o, n, min_percent);
		/* Up to the next sibling shown, closing each finished caller. */
		for (;;) {
			uint32_t s = next_shown_sibling(o, n), parent = nodes[n].parent;

			if (s != PYRO_NO_ID) {
				n = s;
				break;
			}
			if (parent == root) {
				n = PYRO_NO_ID;
				break;
			}
			put_hidden(o, parent, min_percent);
			n = parent;
		}
	}
	put_hidden(o, root, min_percent);
}

static const uint64_t *sort_thread_ns;

static int by_thread_time(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (sort_thread_ns[x] != sort_thread_ns[y])
		return sort_thread_ns[x] < sort_thread_ns[y] ? 1 : -1;
	return x < y ? -1 : x > y;
}

int pyro_render_tree(const struct pyro_view *v, const struct pyro_render_opts *ro, FILE *out)
{
	const struct pyro_profile *p = v->p;
	double min_percent = ro ? ro->min_percent : 0.5;
	struct pyro_tree t;
	struct tree_out o = { v, &t, out, 0, 0, NULL };
	uint32_t *order = NULL;
	size_t i, n = 0;
	int rc = 0;
	char t1[32];

	if (pyro_tree_build(&t, v) < 0)
		return pyro_err_set(ENOMEM, "out of memory building the call tree");
	order = malloc((p->nthreads + 1) * sizeof(*order));
	o.last = calloc(v->max_depth + 2, 1);
	if (!order || !o.last) {
		rc = pyro_err_set(ENOMEM, "out of memory printing the call tree");
		goto out;
	}
	for (i = 0; i < p->nthreads; i++)
		if (t.thread_root[i] != PYRO_NO_ID)
			order[n++] = (uint32_t)i;
	sort_thread_ns = v->thread_ns;
	qsort(order, n, sizeof(*order), by_thread_time);
	fprintf(out, "Call tree, %s time by thread; %% of the thread's time; calls under %g%% hidden\n",
		p->header.mode == PYRO_MODE_CPU ? "cpu" : "wall", min_percent);
	if (!n)
		fprintf(out, "\n(no samples with Python frames)\n");
	for (i = 0; i < n; i++) {
		const struct pyro_thread *th = &p->threads[order[i]];
		uint32_t root = t.thread_root[order[i]];
		char nb[256];

		o.whole = t.nodes[root].total_ns;
		o.min_ns = (double)o.whole * min_percent / 100.0;
		pyro_fmt_time(t1, sizeof(t1), o.whole);
		fprintf(out, "\nthread %llu", (unsigned long long)th->native_id);
		if (th->name != PYRO_NO_ID)
			fprintf(out, " \"%s\"", pyro_safe(pyro_profile_str(p, th->name), nb, sizeof(nb)));
		if (v->several_pids)
			fprintf(out, " (pid %llu)", (unsigned long long)pyro_thread_pid(p, th));
		if (th->interp)
			fprintf(out, " (interp %lld)", (long long)th->interp);
		fprintf(out, ": %s in %llu samples, %.1f%% of all\n", t1, (unsigned long long)t.nodes[root].total_samples,
			pyro_pct(o.whole, v->total_ns));
		fprintf(out, "     total     self  function  file:line\n");
		put_thread_tree(&o, root, min_percent);
	}
	if (ferror(out))
		rc = pyro_err_set(EIO, "cannot write the call tree");
out:
	free(order);
	free(o.last);
	pyro_tree_release(&t);
	return rc;
}
