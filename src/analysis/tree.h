/*
 * tree.h - the call tree by function, one root per thread.
 *
 * A node is a function called along one path from its thread's root; the
 * same function reached by two paths is two nodes, and recursion nests.
 * Nodes are numbered so that a parent always comes before its children.
 */
#ifndef PYRO_ANALYSIS_TREE_H
#define PYRO_ANALYSIS_TREE_H

#include "analysis/view.h"

struct pyro_tree_node {
	uint32_t parent;        /* node index, PYRO_NO_ID for a thread root */
	uint32_t fn;            /* index in view fns; PYRO_NO_ID for a thread root */
	uint32_t thread;        /* profile thread index */
	uint32_t depth;         /* 0 for a thread root */
	uint32_t first_child;   /* PYRO_NO_ID when none; children by descending total */
	uint32_t next_sibling;
	uint64_t self_ns, total_ns;
	uint64_t self_samples, total_samples;
};

struct pyro_tree {
	struct pyro_tree_node *nodes;  /* owned */
	size_t nnodes;
	uint32_t *thread_root;         /* owned; per profile thread, PYRO_NO_ID without samples */
};

/* Build the tree of v. Returns 0, or -ENOMEM with t empty. */
int pyro_tree_build(struct pyro_tree *t, const struct pyro_view *v);
void pyro_tree_release(struct pyro_tree *t);

#endif
