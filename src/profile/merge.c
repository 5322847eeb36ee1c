/*
 * merge.c - bring a memory agent's profile into a recording: its stacks are
 * interned again in the recorder's tables (so a function sampled from
 * outside and one that allocated are the same frame), its sites, history
 * and points written on the recorder's clock.
 */
#include "profile/model.h"
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The recorder's id for each of the agent's stacks, root first: a stack's
 * parent always comes before it. */
static int map_stacks(struct pyro_writer *w, const struct pyro_profile *a, uint32_t *stack_map)
{
	uint32_t *frame_map = malloc((a->nframes ? a->nframes : 1) * sizeof(*frame_map));
	size_t i;

	if (!frame_map)
		return pyro_err_set(ENOMEM, "out of memory merging the memory profile");
	for (i = 0; i < a->nframes; i++) {
		struct pyro_frame f = a->frames[i];
		const char *name = pyro_profile_str(a, f.name), *file = pyro_profile_str(a, f.file);

		f.name = pyro_writer_string(w, name, strlen(name));
		f.file = pyro_writer_string(w, file, strlen(file));
		frame_map[i] = pyro_writer_frame(w, &f);
	}
	for (i = 0; i < a->nstacks; i++) {
		uint32_t parent = a->stacks[i].parent;

		stack_map[i] = pyro_writer_stack(w, parent == PYRO_NO_ID ? PYRO_NO_ID : stack_map[parent],
						 frame_map[a->stacks[i].frame]);
	}
	free(frame_map);
	return w->failed ? -ENOMEM : 0;
}

int pyro_writer_merge_memory(struct pyro_writer *w, const struct pyro_profile *a, uint64_t offset_ns)
{
	const struct pyro_memory *m = &a->memory;
	struct pyro_mem_site *sites = NULL;
	struct pyro_mem_point *pts = NULL;
	struct pyro_memory out;
	uint32_t *stack_map;
	size_t i, j;
	int rc;

	if (!m->present)
		return pyro_err_set(ENOENT, "the memory agent's file holds no memory data");
	stack_map = malloc((a->nstacks ? a->nstacks : 1) * sizeof(*stack_map));
	if (!stack_map)
		return pyro_err_set(ENOMEM, "out of memory merging the memory profile");
	rc = map_stacks(w, a, stack_map);
	if (rc < 0)
		goto out;
	/* The history, replayed as one chunk per moment it was written at. */
	sites = malloc((m->nhistory ? m->nhistory : 1) * sizeof(*sites));
	pts = malloc((m->npoints ? m->npoints : 1) * sizeof(*pts));
	if (!sites || !pts) {
		rc = pyro_err_set(ENOMEM, "out of memory merging the memory profile");
		goto out;
	}
	for (i = 0; i < m->nhistory; i = j) {
		size_t n = 0;

		for (j = i; j < m->nhistory && m->history[j].time_ns == m->history[i].time_ns; j++) {
			struct pyro_mem_site s = m->sites[m->history[j].site];

			/* Only live bytes have a history; the rest are the last totals. */
			s.live_bytes = m->history[j].live_bytes;
			if (s.stack != PYRO_NO_ID)
				s.stack = stack_map[s.stack];
			sites[n++] = s;
		}
		rc = pyro_writer_mem_sites(w, m->history[i].time_ns + offset_ns, sites, n);
		if (rc < 0)
			goto out;
	}
	/* The last word for every site: its final totals. */
	for (i = 0; i < m->nsites; i++) {
		sites[i] = m->sites[i];
		if (sites[i].stack != PYRO_NO_ID)
			sites[i].stack = stack_map[sites[i].stack];
	}
	rc = pyro_writer_mem_sites(w, m->time_ns + offset_ns, sites, m->nsites);
	for (i = 0; rc == 0 && i < m->npoints; i++) {
		pts[i] = m->points[i];
		pts[i].time_ns += offset_ns;
	}
	if (rc == 0)
		rc = pyro_writer_mem_points(w, pts, m->npoints);
	out = *m;
	memset(&out.site_ids, 0, sizeof(out.site_ids));
	out.sites = NULL;
	out.history = NULL;
	out.points = NULL;
	out.offset_ns = offset_ns;
	out.peak_time_ns += offset_ns;
	out.time_ns += offset_ns;
	if (rc == 0)
		rc = pyro_writer_memory(w, &out);
out:
	free(stack_map);
	free(sites);
	free(pts);
	return rc;
}
