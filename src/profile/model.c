/*
 * model.c - the in-memory profile tables: growth, lookup, release.
 */
#include "profile/model.h"
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void pyro_profile_init(struct pyro_profile *p)
{
	memset(p, 0, sizeof(*p));
}

static void header_release(struct pyro_header *h)
{
	size_t i;

	free(h->producer);
	free(h->python_version);
	for (i = 0; i < h->argc; i++)
		free(h->argv[i]);
	free(h->argv);
	memset(h, 0, sizeof(*h));
}

void pyro_profile_release(struct pyro_profile *p)
{
	size_t i;

	header_release(&p->header);
	for (i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	free(p->strings);
	free(p->string_len);
	free(p->frames);
	free(p->stacks);
	free(p->threads);
	free(p->samples);
	for (i = 0; i < p->nprocesses; i++)
		free(p->processes[i].argv);
	free(p->processes);
	free(p->memory.sites);
	pyro_hash_release(&p->memory.site_ids);
	free(p->memory.history);
	free(p->memory.points);
	memset(p, 0, sizeof(*p));
}

int pyro_profile_keep_pid(struct pyro_profile *p, uint64_t pid)
{
	size_t i, kept = 0, threads = 0;

	for (i = 0; i < p->nthreads; i++) {
		if (pyro_thread_pid(p, &p->threads[i]) == pid)
			threads++;
		else
			memset(p->threads[i].times_ns, 0, sizeof(p->threads[i].times_ns));
	}
	if (!threads)
		return pyro_err_set(ESRCH, "no thread of pid %llu in this profile (its processes: %s)",
				    (unsigned long long)pid, p->nprocesses ? "see the summary's subprocesses" : "only the recorded one");
	for (i = 0; i < p->nsamples; i++)
		if (pyro_thread_pid(p, &p->threads[p->samples[i].thread]) == pid)
			p->samples[kept++] = p->samples[i];
	p->nsamples = kept;
	for (i = 0; i < p->nprocesses && p->processes[i].pid != pid; i++)
		;
	if (pid != p->header.pid && i < p->nprocesses) {
		const struct pyro_process *pr = &p->processes[i];
		char *version = strdup(pr->version == PYRO_NO_ID ? "?" : pyro_profile_str(p, pr->version));
		char **argv = calloc(pr->argc + 1, sizeof(*argv));
		size_t a;

		if (!version || !argv) {
			free(version);
			free(argv);
			return pyro_err_set(ENOMEM, "out of memory");
		}
		for (a = 0; a < pr->argc; a++)
			if (!(argv[a] = strdup(pyro_profile_str(p, pr->argv[a])))) {
				while (a--)
					free(argv[a]);
				free(argv);
				free(version);
				return pyro_err_set(ENOMEM, "out of memory");
			}
		for (a = 0; a < p->header.argc; a++)
			free(p->header.argv[a]);
		free(p->header.argv);
		free(p->header.python_version);
		p->header.argv = argv;
		p->header.argc = pr->argc;
		p->header.python_version = version;
		/* Threads of the root name it by 0: they keep its pid. */
		for (a = 0; a < p->nthreads; a++)
			if (!p->threads[a].pid)
				p->threads[a].pid = p->header.pid;
		p->header.pid = pid;
	}
	return 0;
}

uint64_t pyro_thread_pid(const struct pyro_profile *p, const struct pyro_thread *t)
{
	return t->pid ? t->pid : p->header.pid;
}

const char *pyro_mode_name(uint32_t mode)
{
	switch (mode) {
	case PYRO_MODE_WALL: return "wall";
	case PYRO_MODE_CPU: return "cpu";
	case PYRO_MODE_GIL: return "gil";
	default: return "unknown";
	}
}

const char *pyro_profile_str(const struct pyro_profile *p, uint32_t id)
{
	return id < p->nstrings ? p->strings[id] : "?";
}

int pyro_grow(void **v, size_t *cap, size_t want, size_t elem)
{
	return pyro_array_grow(v, cap, want, elem, PYRO_MAX_TABLE);
}

int pyro_profile_add_string(struct pyro_profile *p, const char *s, size_t n)
{
	size_t cap = p->cap_strings;
	char *copy;
	int rc;

	if (n > PYRO_MAX_STRING)
		return -E2BIG;
	rc = pyro_grow((void **)&p->strings, &cap, p->nstrings + 1, sizeof(*p->strings));
	if (rc < 0)
		return rc;
	if (cap != p->cap_strings) {
		uint32_t *nl = realloc(p->string_len, cap * sizeof(*nl));

		if (!nl)
			return -ENOMEM;
		p->string_len = nl;
		p->cap_strings = cap;
	}
	copy = malloc(n + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s, n);
	copy[n] = '\0';
	p->strings[p->nstrings] = copy;
	p->string_len[p->nstrings] = (uint32_t)n;
	p->nstrings++;
	return 0;
}

const struct pyro_mem_site *pyro_memory_site(const struct pyro_memory *m, uint32_t stack)
{
	uint64_t idx;

	if (!pyro_hash_get(&m->site_ids, (stack == PYRO_NO_ID ? 0 : (uint64_t)stack + 1) + 1, &idx))
		return NULL;
	return &m->sites[idx];
}
