/*
 * pstats.c - the profile as the file `pstats.Stats(path)` loads, for
 * `python -m pstats`, snakeviz and other cProfile tools.
 *
 * That file is one marshal'd dict, as cProfile writes it:
 *   {(file, first_line, name): (cc, nc, tt, ct, {(caller key): (nc, cc, tt, ct)})}
 * (the callers' tuples put nc before cc: that is cProfile's order and the
 * one pstats reads). The marshal encoding is written by hand with only the
 * type codes every CPython from 3.4 on reads ('{' '0' ')' 'i' 'l' 'g' 'u'),
 * never with references, so one file loads on every version.
 *
 * Sampling cannot count calls, so the counts are samples:
 *   tt  self time (s): the weight of the samples whose leaf is the function;
 *   ct  total time (s): the weight of the samples it appears in, once per
 *       sample however deep the recursion;
 *   nc  frames of the function over all samples (recursive frames each);
 *   cc  samples the function appears in (so nc/cc shows recursion).
 * A caller edge g -> f is g's frame directly above one of f's: its tt is
 * f's self time when called from g, ct/cc the samples in which the pair
 * occurs (once each), nc the occurrences. Samples with no Python frames
 * belong to no function and are left out, so total_tt is the total weight
 * of the samples that have a stack. pstats refuses an empty dict, so a
 * profile without such samples gets one placeholder entry counting nothing.
 *
 * Everything is computed in one walk of the stack trie (each stack once,
 * not each stack's depth), so deep recursion costs what shallow does.
 */
#include "render/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hash.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Sums per function, and per caller edge. */
struct tally {
	uint64_t cc, nc, tt_ns, ct_ns;
};

struct edge {
	uint32_t caller, callee; /* view function indexes */
	struct tally t;
};

/* Marks a trie node on the walk's stack as "leaving", not "entering". */
#define LEAVE 0x80000000u

static void m_u32le(struct pyro_buf *b, uint32_t x)
{
	uint8_t d[4] = { (uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24) };

	pyro_buf_append(b, d, 4);
}

static void m_int32(struct pyro_buf *b, int32_t x)
{
	pyro_buf_putc(b, 'i');
	m_u32le(b, (uint32_t)x);
}

/* A count: 'i' when it fits, else 'l' (15-bit digits, least significant first). */
static void m_count(struct pyro_buf *b, uint64_t x)
{
	uint8_t d[10];
	int n = 0;

	if (x <= INT32_MAX) {
		m_int32(b, (int32_t)x);
		return;
	}
	pyro_buf_putc(b, 'l');
	while (x) {
		d[2 * n] = (uint8_t)(x & 0x7fff);
		d[2 * n + 1] = (uint8_t)((x & 0x7fff) >> 8);
		x >>= 15;
		n++;
	}
	m_u32le(b, (uint32_t)n);
	pyro_buf_append(b, d, (size_t)(2 * n));
}

static void m_seconds(struct pyro_buf *b, uint64_t ns)
{
	double s = (double)ns / 1e9;
	uint64_t bits;
	int i;

	memcpy(&bits, &s, sizeof(bits));
	pyro_buf_putc(b, 'g');
	for (i = 0; i < 8; i++)
		pyro_buf_putc(b, (uint8_t)(bits >> (8 * i)));
}

/* A str: 'u', the UTF-8 length, the bytes. */
static void m_bytes(struct pyro_buf *b, const char *s, size_t n)
{
	pyro_buf_putc(b, 'u');
	m_u32le(b, (uint32_t)n);
	pyro_buf_append(b, s, n);
}

static void m_str(struct pyro_buf *b, const struct pyro_profile *p, uint32_t id)
{
	const char *s = pyro_profile_str(p, id);

	m_bytes(b, s, id < p->nstrings ? p->string_len[id] : strlen(s));
}

/* (file, first_line, name): cProfile's function key. */
static void m_key(struct pyro_buf *b, const struct pyro_profile *p, const struct pyro_view_fn *fn)
{
	pyro_buf_putc(b, ')');
	pyro_buf_putc(b, 3);
	m_str(b, p, fn->file);
	m_int32(b, fn->first_line);
	m_str(b, p, fn->name);
}

static int by_callee(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->callee != y->callee)
		return x->callee < y->callee ? -1 : 1;
	return x->caller < y->caller ? -1 : x->caller > y->caller;
}

int pyro_render_pstats(const struct pyro_view *v, const struct pyro_render_opts *o, FILE *out)
{
	const struct pyro_profile *p = v->p;
	const size_t ns = p->nstacks;
	uint64_t *self_w = NULL, *self_n = NULL, *sub_w = NULL, *sub_n = NULL;
	uint32_t *child = NULL, *sibling = NULL, *edge_of = NULL, *todo = NULL;
	uint32_t *active_fn = NULL, *active_edge = NULL;
	struct tally *fns = NULL;
	struct edge *edges = NULL;
	size_t nedges = 0, cap_edges = 0, ntodo, i, e;
	struct pyro_hash edge_ix;
	struct pyro_buf b;
	int rc = 0;

	(void)o;
	pyro_hash_init(&edge_ix);
	pyro_buf_init(&b);
	self_w = calloc(ns + 1, sizeof(*self_w));
	self_n = calloc(ns + 1, sizeof(*self_n));
	sub_w = calloc(ns + 1, sizeof(*sub_w));
	sub_n = calloc(ns + 1, sizeof(*sub_n));
	child = malloc((ns + 1) * sizeof(*child));
	sibling = malloc((ns + 1) * sizeof(*sibling));
	edge_of = malloc((ns + 1) * sizeof(*edge_of));
	todo = malloc((2 * ns + 2) * sizeof(*todo));
	fns = calloc(v->nfns + 1, sizeof(*fns));
	active_fn = calloc(v->nfns + 1, sizeof(*active_fn));
	if (!self_w || !self_n || !sub_w || !sub_n || !child || !sibling || !edge_of || !todo || !fns || !active_fn)
		goto oom;

	/* Threads do not matter here: sum each stack's samples over them. */
	for (i = 0; i < v->nleaves; i++) {
		self_w[v->leaves[i].stack] += v->leaves[i].weight_ns;
		self_n[v->leaves[i].stack] += v->leaves[i].samples;
	}
	/* Children have larger ids than their parent (the reader checks), so
	 * one backward pass sums subtrees and links children in order. */
	for (i = 0; i < ns; i++)
		child[i] = PYRO_NO_ID;
	ntodo = 0;
	for (i = ns; i-- > 0;) {
		uint32_t parent = p->stacks[i].parent;

		sub_w[i] += self_w[i];
		sub_n[i] += self_n[i];
		if (parent == PYRO_NO_ID) {
			if (sub_n[i])
				todo[ntodo++] = (uint32_t)i;
			continue;
		}
		sub_w[parent] += sub_w[i];
		sub_n[parent] += sub_n[i];
		sibling[i] = child[parent];
		child[parent] = (uint32_t)i;
	}

	/* Depth-first over the stacks that have samples, counting on the way
	 * in and on the way out how many frames of each function (and each
	 * edge) are on the current path, so that a subtree is counted once
	 * for a function however often the function recurs above it. */
	while (ntodo > 0) {
		uint32_t t = todo[--ntodo], f, parent, c;

		if (t & LEAVE) {
			t &= ~LEAVE;
			active_fn[v->fn_of[p->stacks[t].frame]]--;
			if (edge_of[t] != PYRO_NO_ID)
				active_edge[edge_of[t]]--;
			continue;
		}
		f = v->fn_of[p->stacks[t].frame];
		parent = p->stacks[t].parent;
		fns[f].nc += sub_n[t];
		fns[f].tt_ns += self_w[t];
		if (active_fn[f]++ == 0) {
			fns[f].cc += sub_n[t];
			fns[f].ct_ns += sub_w[t];
		}
		edge_of[t] = PYRO_NO_ID;
		if (parent != PYRO_NO_ID) {
			uint32_t g = v->fn_of[p->stacks[parent].frame];
			uint64_t key = ((uint64_t)g << 32 | f) + 1, idx;
			struct edge *ed;

			if (!pyro_hash_get(&edge_ix, key, &idx)) {
				size_t had = cap_edges;

				if (pyro_array_grow((void **)&edges, &cap_edges, nedges + 1, sizeof(*edges), PYRO_MAX_TABLE) < 0)
					goto oom;
				if (cap_edges != had) {
					uint32_t *a = realloc(active_edge, cap_edges * sizeof(*active_edge));

					if (!a)
						goto oom;
					active_edge = a;
				}
				idx = nedges++;
				memset(&edges[idx], 0, sizeof(edges[idx]));
				edges[idx].caller = g;
				edges[idx].callee = f;
				active_edge[idx] = 0;
				if (pyro_hash_put(&edge_ix, key, idx) < 0)
					goto oom;
			}
			ed = &edges[idx];
			edge_of[t] = (uint32_t)idx;
			ed->t.nc += sub_n[t];
			ed->t.tt_ns += self_w[t];
			if (active_edge[idx]++ == 0) {
				ed->t.cc += sub_n[t];
				ed->t.ct_ns += sub_w[t];
			}
		}
		todo[ntodo++] = t | LEAVE;
		for (c = child[t]; c != PYRO_NO_ID; c = sibling[c])
			if (sub_n[c])
				todo[ntodo++] = c;
	}

	/* Callers grouped by callee, in function order. */
	if (nedges)
		qsort(edges, nedges, sizeof(*edges), by_callee);
	pyro_buf_putc(&b, '{');
	for (i = 0, e = 0; i < v->nfns; i++) {
		const struct tally *t = &fns[i];

		if (!t->nc) {
			/* Not in any sample (a hand-made file's unused frame). */
			while (e < nedges && edges[e].callee == i)
				e++;
			continue;
		}
		m_key(&b, p, &v->fns[i]);
		pyro_buf_putc(&b, ')');
		pyro_buf_putc(&b, 5);
		m_count(&b, t->cc);
		m_count(&b, t->nc);
		m_seconds(&b, t->tt_ns);
		m_seconds(&b, t->ct_ns);
		pyro_buf_putc(&b, '{');
		for (; e < nedges && edges[e].callee == i; e++) {
			m_key(&b, p, &v->fns[edges[e].caller]);
			pyro_buf_putc(&b, ')');
			pyro_buf_putc(&b, 4);
			m_count(&b, edges[e].t.nc);
			m_count(&b, edges[e].t.cc);
			m_seconds(&b, edges[e].t.tt_ns);
			m_seconds(&b, edges[e].t.ct_ns);
		}
		pyro_buf_putc(&b, '0');
		if (b.oom)
			goto oom;
	}
	if (b.len == 1) {
		/* pstats.Stats refuses an empty dict: stand in a built-in-style
		 * entry (cProfile's '~' file) with nothing counted. */
		static const char none[] = "<no samples with Python frames>";

		pyro_buf_putc(&b, ')');
		pyro_buf_putc(&b, 3);
		m_bytes(&b, "~", 1);
		m_int32(&b, 0);
		m_bytes(&b, none, sizeof(none) - 1);
		pyro_buf_putc(&b, ')');
		pyro_buf_putc(&b, 5);
		m_count(&b, 0);
		m_count(&b, 0);
		m_seconds(&b, 0);
		m_seconds(&b, 0);
		pyro_buf_putc(&b, '{');
		pyro_buf_putc(&b, '0');
	}
	pyro_buf_putc(&b, '0');
	if (b.oom)
		goto oom;
	if (fwrite(b.data, 1, b.len, out) != b.len || ferror(out))
		rc = pyro_err_set(EIO, "cannot write pstats output");
	goto out;
oom:
	rc = pyro_err_set(ENOMEM, "out of memory rendering pstats output");
out:
	pyro_hash_release(&edge_ix);
	pyro_buf_release(&b);
	free(self_w);
	free(self_n);
	free(sub_w);
	free(sub_n);
	free(child);
	free(sibling);
	free(edge_of);
	free(todo);
	free(fns);
	free(active_fn);
	free(active_edge);
	free(edges);
	return rc;
}
