/*
 * maps.c - parse /proc/PID/maps.
 *
 * A line is "start-end perms offset dev inode   path". The path may contain
 * spaces and may end in " (deleted)"; it is kept as written.
 */
#include "proc/maps.h"
#include "proc/fs.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_hex(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	int digits = 0;

	while (p < end && digits < 17) {
		char c = *p;
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		v = (v << 4) | (uint64_t)d;
		p++;
		digits++;
	}
	if (digits == 0 || digits > 16)
		return -1;
	*pp = p;
	*out = v;
	return 0;
}

static int expect(const char **pp, const char *end, char c)
{
	if (*pp >= end || **pp != c)
		return -1;
	(*pp)++;
	return 0;
}

static void skip_spaces(const char **pp, const char *end)
{
	while (*pp < end && (**pp == ' ' || **pp == '\t'))
		(*pp)++;
}

static int skip_field(const char **pp, const char *end)
{
	const char *p = *pp;

	while (p < end && *p != ' ' && *p != '\t')
		p++;
	if (p == *pp)
		return -1;
	*pp = p;
	return 0;
}

static int parse_line(const char *p, const char *end, struct proc_map *m)
{
	size_t plen;

	if (parse_hex(&p, end, &m->start) || expect(&p, end, '-') || parse_hex(&p, end, &m->end))
		return -1;
	if (m->end < m->start || expect(&p, end, ' '))
		return -1;
	if (end - p < 4)
		return -1;
	memcpy(m->perms, p, 4);
	m->perms[4] = '\0';
	p += 4;
	if (expect(&p, end, ' ') || parse_hex(&p, end, &m->offset) || expect(&p, end, ' '))
		return -1;
	if (skip_field(&p, end)) /* dev */
		return -1;
	skip_spaces(&p, end);
	if (skip_field(&p, end)) /* inode */
		return -1;
	skip_spaces(&p, end);
	plen = (size_t)(end - p);
	m->path = malloc(plen + 1);
	if (!m->path)
		return -2;
	memcpy(m->path, p, plen);
	m->path[plen] = '\0';
	return 0;
}

int proc_maps_parse(const char *text, size_t len, struct proc_maps *out)
{
	const char *p = text, *end = text + len;
	size_t cap = 0, lineno = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct proc_map m;
		int r;

		lineno++;
		if (le == p) {
			p = le + 1;
			continue;
		}
		if (out->n >= PROC_MAPS_MAX_ENTRIES) {
			rc = pyro_err_set(E2BIG, "memory map has more than %d entries", PROC_MAPS_MAX_ENTRIES);
			goto out;
		}
		memset(&m, 0, sizeof(m));
		r = parse_line(p, le, &m);
		if (r == -2) {
			rc = pyro_err_set(ENOMEM, "out of memory parsing memory map");
			goto out;
		}
		if (r < 0) {
			free(m.path);
			rc = pyro_err_set(EINVAL, "malformed memory map line %zu: \"%.*s\"", lineno,
					  (int)(le - p > 120 ? 120 : le - p), p);
			goto out;
		}
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct proc_map *nv = realloc(out->v, ncap * sizeof(*nv));

			if (!nv) {
				free(m.path);
				rc = pyro_err_set(ENOMEM, "out of memory parsing memory map");
				goto out;
			}
			out->v = nv;
			cap = ncap;
		}
		out->v[out->n++] = m;
		p = nl ? nl + 1 : end;
	}
out:
	if (rc < 0)
		proc_maps_release(out);
	return rc;
}

int proc_maps_read(pid_t pid, struct proc_maps *out)
{
	char path[64];
	char *text = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	rc = proc_fs_slurp(path, PROC_MAPS_MAX_BYTES, &text, &len);
	if (rc < 0)
		return pyro_err_prefix(rc, "cannot read memory map of pid %d", (int)pid);
	rc = proc_maps_parse(text, len, out);
	free(text);
	return rc;
}

void proc_maps_release(struct proc_maps *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

const struct proc_map *proc_maps_first_of(const struct proc_maps *m, const char *path)
{
	const struct proc_map *best = NULL;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].path, path) == 0 && (!best || m->v[i].start < best->start))
			best = &m->v[i];
	return best;
}
