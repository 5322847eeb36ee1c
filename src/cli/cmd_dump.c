/*
 * cmd_dump.c - `pyrometer dump -p PID`: every thread's stack, once, with
 * what the thread is doing and who holds the GIL.
 */
#include "cli/commands.h"
#include "cpython/activity.h"
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

static void usage(FILE *out)
{
	fprintf(out, "usage: pyrometer dump [options] -p PID\n\n"
		     "Print every thread's Python stack once, innermost frame first, with the\n"
		     "thread's ids and name, whether it holds the GIL, and whether it is running,\n"
		     "sleeping or waiting for the GIL. The process keeps running.\n\n"
		     "options:\n"
		     "  -p, --pid PID         the process to read\n"
		     "      --json            one JSON object instead of text\n"
		     "  -h, --help            this help\n");
}

struct dump_thread {
	const struct cpy_thread *th;
	enum cpy_activity act;
	char name[64];  /* the OS thread name (/proc/PID/task/TID/comm), "" if unknown */
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
		       const char *cmd)
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
		if (d[i].name[0])
			printf(" \"%s\"", d[i].name);
		if (interps)
			printf(" in interpreter %lld", (long long)th->interp_id);
		printf(": %s%s\n", cpy_activity_name(d[i].act), th->gil == 1 ? ", holds the GIL" : "");
		if (th->torn) {
			printf("    (its stack kept changing while read: not shown)\n");
			continue;
		}
		if (!th->depth)
			printf("    (no Python frames)\n");
		for (k = th->first; k < th->first + th->depth; k++) {
			const struct cpy_frame *f = &s->frames[k];

			printf("    %s  %s:%d\n", f->code->qualname, f->code->filename, (int)f->line);
		}
	}
}

static void print_json(const struct cpy_target *t, const struct cpy_sample *s, const struct dump_thread *d,
		       const char *cmd)
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
			printf(", \"line\": %d}", (int)f->line);
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cpy_target t;
	struct cpy_sample s;
	struct dump_thread *d = NULL;
	char *cmd = NULL;
	pid_t pid = 0;
	int json = 0, c, rc, tries;
	size_t i;

	while ((c = getopt_long(argc, argv, "+p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_pid(optarg, &pid) < 0)
				return EXIT_USAGE;
			break;
		case 'j':
			json = 1;
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
	/* A stack that moved while read is read again: a dump is one look,
	 * and should be a whole one. */
	for (tries = 0; tries < DUMP_TRIES; tries++) {
		rc = cpy_sample(&t, &s);
		if (rc < 0 || !any_torn(&s))
			break;
	}
	if (rc < 0) {
		if (rc == -ESRCH)
			pyro_err_set(ESRCH, "pid %d exited while being read", (int)pid);
		else if (rc == -ENOMEM)
			pyro_err_set(ENOMEM, "out of memory");
		pyro_err_print();
		goto out;
	}
	d = calloc(s.nthreads ? s.nthreads : 1, sizeof(*d));
	if (!d) {
		rc = pyro_err_set(ENOMEM, "out of memory");
		pyro_err_print();
		goto out;
	}
	for (i = 0; i < s.nthreads; i++) {
		d[i].th = &s.threads[i];
		d[i].act = cpy_thread_activity(pid, &s.threads[i]);
		os_name(pid, s.threads[i].native_id, d[i].name, sizeof(d[i].name));
	}
	cmd = command_of(pid);
	if (json)
		print_json(&t, &s, d, cmd);
	else
		print_text(&t, &s, d, cmd);
	rc = 0;
out:
	free(cmd);
	free(d);
	cpy_sample_release(&s);
	cpy_target_release(&t);
	return rc < 0 ? 1 : 0;
}
