/*
 * textutil.c - shared helpers of the text renderers (textutil.h).
 */
#include "render/textutil.h"
#include "util/json.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOURCE_MAX_BYTES (16u << 20)
#define SOURCE_MAX_LINES (1u << 22)

void pyro_fmt_time(char *buf, size_t n, uint64_t ns)
{
	if (ns >= 1000000000ull)
		snprintf(buf, n, "%.3fs", (double)ns / 1e9);
	else
		snprintf(buf, n, "%.1fms", (double)ns / 1e6);
}

void pyro_fmt_stime(char *buf, size_t n, int64_t ns)
{
	if (ns < 0) {
		buf[0] = '-';
		pyro_fmt_time(buf + 1, n - 1, (uint64_t)0 - (uint64_t)ns);
	} else {
		buf[0] = '+';
		pyro_fmt_time(buf + 1, n - 1, (uint64_t)ns);
	}
}

double pyro_pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

const char *pyro_cwd(void)
{
	static char cwd[PATH_MAX];
	static int done;

	if (!done) {
		done = 1;
		if (!getcwd(cwd, sizeof(cwd)))
			cwd[0] = '\0';
	}
	return cwd;
}

const char *pyro_show_path(const char *path)
{
	const char *cwd = pyro_cwd();
	size_t n = strlen(cwd);

	if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

int pyro_source_load(struct pyro_source *s, const char *path)
{
	struct stat st;
	size_t len = 0, i, cap = 0;
	FILE *f = NULL;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (!path[0] || path[0] == '<') {
		s->err = ENOENT;
		return -ENOENT;
	}
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)SOURCE_MAX_BYTES) {
		rc = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		goto out;
	}
	s->data = malloc((size_t)st.st_size + 1);
	if (!s->data) {
		rc = -ENOMEM;
		goto out;
	}
	len = fread(s->data, 1, (size_t)st.st_size, f);
	s->data[len] = '\0';
	for (i = 0; i <= len && s->nlines < SOURCE_MAX_LINES; i++) {
		char *start = s->data + i;
		char *nl = memchr(start, '\n', len - i);

		if (i == len)
			break;
		if (s->nlines == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			char **nv = realloc(s->line, ncap * sizeof(*nv));

			if (!nv) {
				rc = -ENOMEM;
				goto out;
			}
			s->line = nv;
			cap = ncap;
		}
		s->line[s->nlines++] = start;
		if (!nl)
			break;
		*nl = '\0';
		if (nl > start && nl[-1] == '\r')
			nl[-1] = '\0';
		i = (size_t)(nl - s->data);
	}
out:
	if (f)
		fclose(f);
	if (rc < 0) {
		pyro_source_release(s);
		s->err = -rc;
	}
	return rc;
}

void pyro_source_release(struct pyro_source *s)
{
	free(s->data);
	free(s->line);
	s->data = NULL;
	s->line = NULL;
	s->nlines = 0;
}

const char *pyro_safe(const char *s, char *buf, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	for (i = 0; u[i]; i++)
		if (u[i] < 0x20 || u[i] == 0x7f)
			break;
	if (!u[i])
		return s;
	for (i = 0; u[i] && i + 1 < n; i++)
		buf[i] = (u[i] < 0x20 || u[i] == 0x7f) ? '?' : (char)u[i];
	buf[i] = '\0';
	return buf;
}

void pyro_thread_label(struct pyro_buf *b, const struct pyro_view *v, size_t t)
{
	const struct pyro_thread *th = &v->p->threads[t];
	int named = th->name != PYRO_NO_ID;

	b->len = 0;
	pyro_buf_printf(b, "thread %llu", (unsigned long long)th->native_id);
	if (!named && !v->several_interps && !v->several_pids)
		return;
	pyro_buf_append(b, " (", 2);
	if (named) {
		const char *s = pyro_profile_str(v->p, th->name);

		pyro_buf_append(b, s, strlen(s));
	}
	if (v->several_pids)
		pyro_buf_printf(b, "%spid %llu", named ? ", " : "", (unsigned long long)pyro_thread_pid(v->p, th));
	if (v->several_interps)
		pyro_buf_printf(b, "%sinterp %lld", named || v->several_pids ? ", " : "", (long long)th->interp);
	pyro_buf_putc(b, ')');
}

void pyro_command_line(struct pyro_buf *b, const struct pyro_profile *p)
{
	size_t i;

	b->len = 0;
	for (i = 0; i < p->header.argc; i++) {
		const char *a = p->header.argv[i] ? p->header.argv[i] : "";

		if (i)
			pyro_buf_putc(b, ' ');
		pyro_buf_append(b, a, strlen(a));
	}
	if (!b->len)
		pyro_buf_printf(b, "pid %llu", (unsigned long long)p->header.pid);
}

void pyro_json_totals(FILE *out, const struct pyro_totals *t)
{
	fputs("\"self_ns\":", out);
	pyro_json_u64(out, t->self_ns);
	fputs(",\"total_ns\":", out);
	pyro_json_u64(out, t->total_ns);
	fputs(",\"self_samples\":", out);
	pyro_json_u64(out, t->self_samples);
	fputs(",\"total_samples\":", out);
	pyro_json_u64(out, t->total_samples);
}
