/*
 * textutil.h - small pieces the renderers share: times, percentages,
 * paths shown relative to the working directory, labels for threads and
 * the command, and source files read for listing.
 */
#ifndef PYRO_RENDER_TEXTUTIL_H
#define PYRO_RENDER_TEXTUTIL_H

#include "analysis/stats.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* "1.234s", "12.3ms"; negative values for diffs ("-0.800s"). */
void pyro_fmt_time(char *buf, size_t n, uint64_t ns);
void pyro_fmt_stime(char *buf, size_t n, int64_t ns);
double pyro_pct(uint64_t part, uint64_t whole);

/* The working directory, read once; "" when unknown. */
const char *pyro_cwd(void);
/* path relative to the working directory when under it, else path. */
const char *pyro_show_path(const char *path);

/* A source file's lines. */
struct pyro_source {
	char *data;       /* owned: the file, each line NUL-terminated */
	char **line;      /* owned; line[i] is line i + 1, without its newline */
	size_t nlines;
	int err;          /* errno when the file could not be read */
};

/* Read path (at most 16 MiB). Returns 0, or negative with s->err set and s
 * empty; names in angle brackets (<string>, <frozen ...>) are ENOENT. */
int pyro_source_load(struct pyro_source *s, const char *path);
void pyro_source_release(struct pyro_source *s);



/* s, or a copy in buf (n bytes, cut if longer) with control characters
 * (newlines, terminal escapes) replaced by '?', for one-line text output. */
const char *pyro_safe(const char *s, char *buf, size_t n);
/* b = "thread 4242", then " (name, interp 1)" with whichever is known; the
 * interpreter only when the profile has more than one. */
void pyro_thread_label(struct pyro_buf *b, const struct pyro_view *v, size_t t);
/* b = the target's command line joined by spaces, or "pid N" when it was
 * attached to (no command known). Check b->oom. */
void pyro_command_line(struct pyro_buf *b, const struct pyro_profile *p);

/* "self_ns":..,"total_ns":..,"self_samples":..,"total_samples":.. (the
 * members only), as the JSON report and diff write them. */
void pyro_json_totals(FILE *out, const struct pyro_totals *t);

#endif
