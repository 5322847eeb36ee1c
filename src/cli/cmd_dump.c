/*
 * cmd_dump.c - `pyrometer dump -p PID`: every thread's stack, once, with
 * what the thread is doing and who holds the GIL.
 */
#include "cli/commands.h"
#include "cpython/activity.h"
#include "cpython/objects.h"
#include "cpython/target.h"
#include "proc/fs.h"
#include "proc/task.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Samples tried for a stack that did not move while read. */
#define DUMP_TRIES 50
/* Samples tried for stacks whose locals read while they stood still. */
#define LOCALS_TRIES 10

static void usage(FILE *out)
{
	fprintf(out, "usage: pyrometer dump [options] -p PID\n\n"
		     "Print every thread's Python stack once, innermost frame first, with the\n"
		     "thread's ids and name, whether it holds the GIL, and whether it is running,\n"
		     "sleeping or waiting for the GIL. The process keeps running.\n\n"
		     "A thread's name is its Python name (threading's Thread.name) when the\n"
		     "program imported threading, else the OS name; both are shown when they\n"
		     "differ.\n\n"
		     "options:\n"
		     "  -p, --pid PID         the process to read\n"
		     "  -l, --locals          each frame's local variables: ints, floats, str, bytes,\n"
		     "                        bool and None by value, other objects by type and\n"
		     "                        address; each value cut to %d characters\n"
		     "      --json            one JSON object instead of text\n"
		     "  -h, --help            this help\n",
		CPY_VALUE_MAX);
}

/* One frame's locals. */
struct dump_locals {
	struct cpy_local *v;  /* owned */
	size_t n;
	int ok;               /* 0: could not be read */
};

struct dump_thread {
	const struct cpy_thread *th;
	enum cpy_activity act;
	char name[64];        /* the OS thread name (/proc/PID/task/TID/comm), "" if unknown */
	const char *py_name;  /* the Python thread name, borrowed from the names read; NULL if unknown */
	struct dump_locals *locals; /* owned, nlocals of them; NULL when not read */
	uint32_t nlocals;
	int locals_moved;     /* --locals: the stack kept changing while its locals were read */
};

static void os_name(pid_t pid, uint64_t tid, char *buf, size_t n)
{
	char path[96], *text = NULL;
	size_t len = 0;

	buf[0] = '\0';
	if (!tid)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task/%llu/comm", (int)pid, (unsigned long long)tid);
	if (proc_fs_slurp(path, 64, &text, &len) < 0)
		return;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\0'))
		len--;
	snprintf(buf, n, "%.*s", (int)len, text);
	free(text);
	/* Anyone may set a thread's name to anything: keep terminals safe. */
	for (; *buf; buf++)
		if ((unsigned char)*buf < 0x20 || *buf == 0x7f)
			*buf = '?';
}

static void free_locals(struct dump_thread *d, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (!d[i].locals)
			continue;
		for (k = 0; k < d[i].nlocals; k++)
			free(d[i].locals[k].v);
		free(d[i].locals);
		d[i].locals = NULL;
	}
}

/* Read one thread's locals, frame by frame, then check that its stack is
 * still the sampled one (the same frames at the same addresses, running
 * the same code objects). Returns 0, 1 if the stack moved, or -ESRCH /
 * -ENOMEM. The values themselves are each read once: a running thread's
 * locals may change between two of them. */
static int read_thread_locals(struct cpy_objects *o, const struct cpy_sample *s, struct dump_thread *d)
{
	const struct cpy_thread *th = d->th;
	uint64_t *frames = NULL, *again = NULL;
	uint32_t k;
	int rc;

	if (th->torn || !th->depth)
		return 0;
	frames = calloc(th->depth, sizeof(*frames));
	again = calloc(th->depth, sizeof(*again));
	d->locals = calloc(th->depth, sizeof(*d->locals));
	if (!frames || !again || !d->locals) {
		rc = -ENOMEM;
		goto out;
	}
	d->nlocals = th->depth;
	cpy_objects_refresh(o);
	rc = cpy_thread_frames(o, s, th, frames);
	if (rc == -ENOTSUP) {
		rc = 0; /* this version's objects cannot be read: each frame says so */
		goto out;
	}
	if (rc != 0)
		goto out;
	for (k = 0; k < th->depth; k++) {
		struct dump_locals *dl = &d->locals[k];

		rc = cpy_frame_locals(o, frames[k], s->frames[th->first + k].code->addr, &dl->v, &dl->n);
		if (rc == -ESRCH || rc == -ENOMEM)
			goto out;
		dl->ok = rc == 0;
	}
	cpy_objects_refresh(o);
	rc = cpy_thread_frames(o, s, th, again);
	if (rc == 0 && memcmp(frames, again, th->depth * sizeof(*frames)) != 0)
		rc = 1;
out:
	free(frames);
	free(again);
	return rc;
}

/* --locals: every thread's locals, from the sample s. Returns 0 when
 * every stack held still while read, 1 if one moved, -ESRCH, -ENOMEM. */
static int read_locals(struct cpy_objects *o, const struct cpy_sample *s, struct dump_thread *d)
{
	size_t i;
	int moved = 0, rc;

	for (i = 0; i < s->nthreads; i++) {
		rc = read_thread_locals(o, s, &d[i]);
		if (rc < 0)
			return rc;
		d[i].locals_moved = rc == 1;
		moved |= rc == 1;
	}
	return moved;
}

static const char *py_name_of(const struct cpy_thread_name *names, size_t n, uint64_t ident)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i].ident == ident)
			return names[i].name;
	return NULL;
}

static void print_locals_text(const struct dump_thread *d, uint32_t k)
{
	const struct dump_locals *dl = &d->locals[k];
	size_t j;

	if (!dl->ok) {
		printf("        (locals could not be read)\n");
		return;
	}
	for (j = 0; j < dl->n; j++)
		printf("        %s = %s\n", dl->v[j].name, dl->v[j].v.text);
}

static void print_locals_json(const struct dump_thread *d, uint32_t k)
{
	const struct dump_locals *dl = d->locals && !d->locals_moved ? &d->locals[k] : NULL;
	char addr[32];
	size_t j;

	printf(", \"locals\": ");
	if (!dl || !dl->ok) {
		printf("null");
		return;
	}
	printf("[");
	for (j = 0; j < dl->n; j++) {
		printf("%s{\"name\": ", j ? ", " : "");
		pyro_json_str(stdout, dl->v[j].name);
		printf(", \"type\": ");
		pyro_json_str(stdout, dl->v[j].v.type);
		printf(", \"value\": ");
		pyro_json_str(stdout, dl->v[j].v.text);
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)dl->v[j].v.addr);
		printf(", \"address\": ");
		pyro_json_str(stdout, addr);
		printf("%s}", dl->v[j].cell ? ", \"cell\": true" : "");
	}
	printf("]");
}

/* The process's command line, arguments joined by spaces. */
static char *command_of(pid_t pid)
{
	char path[64], *text = NULL;
	size_t len = 0, i;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (proc_fs_slurp(path, 1 << 16, &text, &len) < 0)
		return NULL;
	while (len && text[len - 1] == '\0')
		len--;
	for (i = 0; i < len; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	text[len] = '\0';
	return text;
}

static int several_interpreters(const struct cpy_sample *s)
{
	size_t i;

	for (i = 1; i < s->nthreads; i++)
		if (s->threads[i].interp_id != s->threads[0].interp_id)
			return 1;
	return 0;
}

static void print_text(const struct cpy_target *t, const struct cpy_sample *s, const struct dump_thread *d,
		       const char *cmd, int locals)
{
	int interps = several_interpreters(s);
	size_t i, holders = 0;

	printf("pid %d: %s\n", (int)t->pid, cmd ? cmd : "?");
	printf("Python %s, %zu thread%s", t->version, s->nthreads, s->nthreads == 1 ? "" : "s");
	for (i = 0; i < s->nthreads; i++)
		holders += d[i].th->gil == 1;
	if (s->nthreads && d[0].th->gil < 0)
		printf("; this version keeps the GIL out of reach\n");
	else
		printf(holders ? "\n" : "; nobody holds the GIL\n");
	for (i = 0; i < s->nthreads; i++) {
		const struct cpy_thread *th = d[i].th;
		uint32_t k;

		printf("\nThread ");
		if (th->native_id)
			printf("%llu ", (unsigned long long)th->native_id);
		printf("(0x%llx)", (unsigned long long)th->thread_id);
		if (d[i].py_name) {
			printf(" \"%s\"", d[i].py_name);
			if (d[i].name[0] && strcmp(d[i].name, d[i].py_name) != 0)
				printf(" (OS name \"%s\")", d[i].name);
		} else if (d[i].name[0]) {
			printf(" \"%s\"", d[i].name);
		}
		if (interps)
			printf(" in interpreter %lld", (long long)th->interp_id);
		printf(": %s%s\n", cpy_activity_name(d[i].act), th->gil == 1 ? ", holds the GIL" : "");
		if (th->torn) {
			printf("    (its stack kept changing while read: not shown)\n");
			continue;
		}
		if (!th->depth)
			printf("    (no Python frames)\n");
		if (locals && d[i].locals_moved)
			printf("    (its stack kept changing while its locals were read: not shown)\n");
		for (k = th->first; k < th->first + th->depth; k++) {
			const struct cpy_frame *f = &s->frames[k];

			printf("    %s  %s:%d\n", f->code->qualname, f->code->filename, (int)f->line);
			if (locals && d[i].locals && !d[i].locals_moved)
				print_locals_text(&d[i], k - th->first);
		}
	}
}

static void print_json(const struct cpy_target *t, const struct cpy_sample *s, const struct dump_thread *d,
		       const char *cmd, int locals)
{
	size_t i;

	printf("{\"pid\": %d, \"python\": ", (int)t->pid);
	pyro_json_str(stdout, t->version);
	printf(", \"command\": ");
	if (cmd)
		pyro_json_str(stdout, cmd);
	else
		printf("null");
	printf(", \"threads\": [");
	for (i = 0; i < s->nthreads; i++) {
		const struct cpy_thread *th = d[i].th;
		uint32_t k;

		printf("%s\n  {\"native_id\": ", i ? "," : "");
		if (th->native_id)
			pyro_json_u64(stdout, th->native_id);
		else
			printf("null");
		printf(", \"thread_id\": ");
		pyro_json_u64(stdout, th->thread_id);
		printf(", \"interpreter\": ");
		pyro_json_i64(stdout, th->interp_id);
		printf(", \"name\": ");
		if (d[i].py_name)
			pyro_json_str(stdout, d[i].py_name);
		else if (d[i].name[0])
			pyro_json_str(stdout, d[i].name);
		else
			printf("null");
		printf(", \"python_name\": ");
		if (d[i].py_name)
			pyro_json_str(stdout, d[i].py_name);
		else
			printf("null");
		printf(", \"os_name\": ");
		if (d[i].name[0])
			pyro_json_str(stdout, d[i].name);
		else
			printf("null");
		printf(", \"state\": ");
		pyro_json_str(stdout, cpy_activity_name(d[i].act));
		printf(", \"gil\": %s, \"complete\": %s, \"frames\": [", th->gil < 0 ? "null" : th->gil ? "true" : "false",
		       th->torn ? "false" : "true");
		for (k = th->first; !th->torn && k < th->first + th->depth; k++) {
			const struct cpy_frame *f = &s->frames[k];

			printf("%s{\"function\": ", k > th->first ? ", " : "");
			pyro_json_str(stdout, f->code->qualname);
			printf(", \"file\": ");
			pyro_json_str(stdout, f->code->filename);
			printf(", \"line\": %d", (int)f->line);
			if (locals)
				print_locals_json(&d[i], k - th->first);
			printf("}");
		}
		printf("]}");
	}
	printf("\n]}\n");
}

static int any_torn(const struct cpy_sample *s)
{
	size_t i;

	for (i = 0; i < s->nthreads; i++)
		if (s->threads[i].torn)
			return 1;
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "locals", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cpy_target t;
	struct cpy_sample s;
	struct cpy_objects o;
	struct dump_thread *d = NULL;
	struct cpy_thread_name *names = NULL;
	size_t nnames = 0, nd = 0;
	char *cmd = NULL;
	pid_t pid = 0;
	int json = 0, locals = 0, c, rc, tries, ltries, have_objects = 0;
	size_t i;

	while ((c = getopt_long(argc, argv, "+p:lh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_pid(optarg, &pid) < 0)
				return EXIT_USAGE;
			break;
		case 'j':
			json = 1;
			break;
		case 'l':
			locals = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!pid || optind < argc) {
		fprintf(stderr, "pyrometer: error: dump needs -p PID and nothing else\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	memset(&t, 0, sizeof(t));
	memset(&s, 0, sizeof(s));
	rc = cpy_attach(&t, pid, 0);
	if (rc < 0) {
		pyro_err_print();
		return 1;
	}
	rc = cpy_objects_init(&o, &t);
	if (rc < 0) {
		pyro_err_print();
		goto out;
	}
	have_objects = 1;
	/* A stack that moved while read is read again: a dump is one look,
	 * and should be a whole one. With --locals, the locals are read after
	 * the sample, each thread's frames checked before and after to be the
	 * sampled ones at the same addresses; if one moved, the whole sample
	 * is taken again (LOCALS_TRIES times at most, then that thread's
	 * locals are left out and it says so). */
	for (ltries = 0; ltries < LOCALS_TRIES; ltries++) {
		for (tries = 0; tries < DUMP_TRIES; tries++) {
			rc = cpy_sample(&t, &s);
			if (rc < 0 || !any_torn(&s))
				break;
		}
		if (rc < 0)
			break;
		if (d)
			free_locals(d, nd);
		free(d);
		d = calloc(s.nthreads ? s.nthreads : 1, sizeof(*d));
		if (!d) {
			rc = -ENOMEM;
			break;
		}
		nd = s.nthreads;
		for (i = 0; i < s.nthreads; i++)
			d[i].th = &s.threads[i];
		if (!locals)
			break;
		rc = read_locals(&o, &s, d);
		if (rc <= 0)
			break;
	}
	if (rc > 0)
		rc = 0;
	if (rc < 0) {
		if (rc == -ESRCH)
			pyro_err_set(ESRCH, "pid %d exited while being read", (int)pid);
		else if (rc == -ENOMEM)
			pyro_err_set(ENOMEM, "out of memory");
		pyro_err_print();
		goto out;
	}
	/* Names are best effort: without threading, or when they do not
	 * read, the OS names stand alone. */
	rc = cpy_thread_names(&o, &names, &nnames);
	if (rc == -ESRCH) {
		pyro_err_set(ESRCH, "pid %d exited while being read", (int)pid);
		pyro_err_print();
		goto out;
	}
	for (i = 0; i < s.nthreads; i++) {
		d[i].act = cpy_thread_activity(pid, &s.threads[i]);
		os_name(pid, s.threads[i].native_id, d[i].name, sizeof(d[i].name));
		d[i].py_name = py_name_of(names, nnames, s.threads[i].thread_id);
	}
	cmd = command_of(pid);
	if (json)
		print_json(&t, &s, d, cmd, locals);
	else
		print_text(&t, &s, d, cmd, locals);
	rc = 0;
out:
	free(cmd);
	if (d)
		free_locals(d, nd);
	free(d);
	free(names);
	if (have_objects)
		cpy_objects_release(&o);
	cpy_sample_release(&s);
	cpy_target_release(&t);
	return rc < 0 ? 1 : 0;
}
