/*
 * tree.c - the call tree by function (tree.h).
 *
 * Each (thread, stack) leaf is walked root first; a hash keyed by (parent
 * node, function) finds or adds each child, so the work is the sum of the
 * leaves' depths. Totals then flow up in one backward pass, since every
 * child's index is above its parent's.
 */
#include "analysis/tree.h"
#include "util/hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int add_node(struct pyro_tree *t, size_t *cap, uint32_t parent, uint32_t fn, uint32_t thread, uint32_t depth)
{
	if (t->nnodes == *cap &&
	    pyro_array_grow((void **)&t->nodes, cap, t->nnodes + 1, sizeof(*t->nodes), PYRO_MAX_TABLE) < 0)
		return -ENOMEM;
	t->nodes[t->nnodes] = (struct pyro_tree_node){ parent, fn, thread, depth, PYRO_NO_ID, PYRO_NO_ID, 0, 0, 0, 0 };
	t->nnodes++;
	return 0;
}

static const struct pyro_tree_node *sort_base;

static int by_total_desc(const void *a, const void *b)
{
	const struct pyro_tree_node *x = &sort_base[*(const uint32_t *)a], *y = &sort_base[*(const uint32_t *)b];

	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return x->fn < y->fn ? -1 : x->fn > y->fn;
}

/* Link children in descending total order: sort all non-root nodes by
 * (total desc), then push each onto its parent's list from the smallest. */
static int link_children(struct pyro_tree *t)
{
	uint32_t *order = malloc((t->nnodes + 1) * sizeof(*order));
	size_t i, n = 0;

	if (!order)
		return -ENOMEM;
	for (i = 0; i < t->nnodes; i++)
		if (t->nodes[i].parent != PYRO_NO_ID)
			order[n++] = (uint32_t)i;
	sort_base = t->nodes;
	qsort(order, n, sizeof(*order), by_total_desc);
	while (n-- > 0) {
		struct pyro_tree_node *c = &t->nodes[order[n]];

		c->next_sibling = t->nodes[c->parent].first_child;
		t->nodes[c->parent].first_child = order[n];
	}
	free(order);
	return 0;
}

int pyro_tree_build(struct pyro_tree *t, const struct pyro_view *v)
{
	const struct pyro_profile *p = v->p;
	struct pyro_hash children;
	uint32_t *frames = NULL;
	size_t cap = 0, i;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	pyro_hash_init(&children);
	frames = malloc((v->max_depth + 1) * sizeof(*frames));
	t->thread_root = malloc((p->nthreads + 1) * sizeof(*t->thread_root));
	if (!frames || !t->thread_root)
		goto oom;
	for (i = 0; i < p->nthreads; i++)
		t->thread_root[i] = PYRO_NO_ID;
	for (i = 0; i < v->nleaves; i++) {
		const struct pyro_view_leaf *l = &v->leaves[i];
		uint32_t d = pyro_view_frames(v, l->stack, frames), k, node;

		if (t->thread_root[l->thread] == PYRO_NO_ID) {
			if (add_node(t, &cap, PYRO_NO_ID, PYRO_NO_ID, l->thread, 0) < 0)
				goto oom;
			t->thread_root[l->thread] = (uint32_t)(t->nnodes - 1);
		}
		node = t->thread_root[l->thread];
		for (k = 0; k < d; k++) {
			uint32_t fn = v->fn_of[frames[k]];
			uint64_t key = pyro_hash_mix(((uint64_t)node << 32 | fn) + 1) | 1, idx;

			/* Probe past collisions by comparing content. */
			for (;; key += 2) {
				if (!pyro_hash_get(&children, key, &idx)) {
					if (add_node(t, &cap, node, fn, l->thread, k + 1) < 0 ||
					    pyro_hash_put(&children, key, t->nnodes - 1) < 0)
						goto oom;
					idx = t->nnodes - 1;
					break;
				}
				if (t->nodes[idx].parent == node && t->nodes[idx].fn == fn)
					break;
			}
			node = (uint32_t)idx;
		}
		t->nodes[node].self_ns += l->weight_ns;
		t->nodes[node].self_samples += l->samples;
	}
	/* A sample counts once in every node on its path. */
	for (i = t->nnodes; i-- > 0;) {
		struct pyro_tree_node *n = &t->nodes[i];

		n->total_ns += n->self_ns;
		n->total_samples += n->self_samples;
		if (n->parent != PYRO_NO_ID) {
			t->nodes[n->parent].total_ns += n->total_ns;
			t->nodes[n->parent].total_samples += n->total_samples;
		}
	}
	if (link_children(t) < 0)
		goto oom;
	goto out;
oom:
	rc = -ENOMEM;
	pyro_tree_release(t);
out:
	free(frames);
	pyro_hash_release(&children);
	return rc;
}

void pyro_tree_release(struct pyro_tree *t)
{
	free(t->nodes);
	free(t->thread_root);
	memset(t, 0, sizeof(*t));
}
