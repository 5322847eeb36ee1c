/*
 * cmd_record.c - `pyrometer record`: sample, write the .pyro file, then
 * print the summary read back from that file.
 */
#include "cli/commands.h"
#include "cli/memory.h"
#include "profile/profile.h"
#include "render/render.h"
#include "sampler/sampler.h"
#include "util/err.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pyrometer record [options] -- COMMAND [ARGS...]\n"
		"       pyrometer record [options] -p PID\n\n"
		"Sample every thread of a Python program and write a .pyro profile;\n"
		"print the top functions and lines when recording ends.\n\n"
		"options:\n"
		"  -o, --output FILE     where to write (default pyrometer-<pid>.pyro)\n"
		"  -f, --format FMT      also write FILE in this format at the end (html, speedscope,\n"
		"                        pstats, pprof, chrome, json, tree, lines, collapsed, text);\n"
		"                        the .pyro is kept beside it (run.html -> run.pyro)\n"
		"  -r, --rate HZ|max     samples per second (default 1000, at most %d); max: as fast\n"
		"                        as the machine allows, resting after each sample as long as\n"
		"                        it took (at most half a CPU)\n"
		"  -d, --duration SECS   stop after this long (default: until the program exits)\n"
		"  -m, --mode MODE       wall: every thread, all the time (default);\n"
		"                        cpu: threads while they run on a CPU, by CPU time;\n"
		"                        gil: the thread holding the GIL\n"
		"      --idle, --no-idle  also record threads the mode leaves out (idle ones in\n"
		"                        wall mode: asleep, in a disk wait, stopped), weighted by\n"
		"                        wall time; default --idle in wall mode, --no-idle in cpu\n"
		"                        and gil modes. Every sample keeps its thread's state\n"
		"  -p, --pid PID         attach to a running process instead of launching\n"
		"  -s, --subprocesses    also sample the program's child processes that run Python\n"
		"                        (fork, exec, subprocess, multiprocessing), as they appear;\n"
		"                        every sample keeps its process id\n"
		"      --memory[=HOW]    also record allocations, through an agent loaded into the\n"
		"                        program (launched programs only): by stack and line, the\n"
		"                        peak and what held it, leaks, churn. HOW: sampled (default:\n"
		"                        about one allocation per --memory-sample bytes, estimates\n"
		"                        unbiased), exact (every allocation; slow, for small runs),\n"
		"                        native (also malloc/calloc/realloc/free from C extensions,\n"
		"                        through a preloaded library)\n"
		"      --memory-sample N  mean bytes between sampled allocations (default 512KiB;\n"
		"                        suffixes KiB, MiB)\n"
		"      --blocking        stop the program's threads while each sample is taken, for\n"
		"                        exactly consistent stacks; slows the program (docs/CLI.md)\n"
		"                        and needs the right to ptrace it\n"
		"  -h, --help            this help\n\n"
		"Launching, pyrometer exits with the program's exit code. Ctrl-C or SIGTERM\n"
		"ends an attached recording; the program keeps running.\n\n"
		"The summary's samples line gives the achieved rate, the stacks that could not\n"
		"be read consistently (errors) and the samples that took longer than the\n"
		"interval (saturated: ask for a lower rate). The threads table gives each\n"
		"thread's share of time running, holding the GIL, waiting for it and idle.\n",
		SAMPLER_MAX_RATE);
}

/* Default file name endings, by format. */
static const char *const extensions[][2] = {
	{ "html", ".html" },   { "speedscope", ".speedscope.json" }, { "pstats", ".prof" },
	{ "pprof", ".pb.gz" }, { "chrome", ".trace.json" },           { "json", ".json" },
	{ "collapsed", ".txt" }, { "text", ".txt" }, { "tree", ".txt" }, { "lines", ".txt" },
};

/* The .pyro kept beside a rendered file: its name without the format's
 * ending (or its last extension), plus ".pyro". */
static void pyro_path_for(const char *out, const char *format, char *buf, size_t n)
{
	size_t len = strlen(out), i;
	const char *dot, *slash;

	for (i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
		size_t el = strlen(extensions[i][1]);

		if (!strcmp(format, extensions[i][0]) && len > el && !strcmp(out + len - el, extensions[i][1])) {
			snprintf(buf, n, "%.*s.pyro", (int)(len - el), out);
			return;
		}
	}
	dot = strrchr(out, '.');
	slash = strrchr(out, '/');
	if (dot && dot != out && (!slash || dot > slash + 1))
		len = (size_t)(dot - out);
	snprintf(buf, n, "%.*s.pyro", (int)len, out);
}

/* pyrometer-<pid>.pyro -> pyrometer-<pid>.html */
static void rendered_path_for(const char *pyro, const char *format, char *buf, size_t n)
{
	const char *ext = ".out";
	size_t len = strlen(pyro), i;

	for (i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++)
		if (!strcmp(format, extensions[i][0]))
			ext = extensions[i][1];
	if (len > 5 && !strcmp(pyro + len - 5, ".pyro"))
		len -= 5;
	snprintf(buf, n, "%.*s%s", (int)len, pyro, ext);
}

enum { OPT_BLOCKING = 256, OPT_IDLE, OPT_NO_IDLE, OPT_MEMORY, OPT_MEMORY_SAMPLE }; /* long options without a letter */

/* "524288", "64KiB", "1 MiB" -> bytes; 0 when not a size. */
static uint64_t parse_bytes(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	while (*end == ' ')
		end++;
	if (end == s || v == 0)
		return 0;
	if (!*end || !strcmp(end, "B"))
		return v;
	if (!strcmp(end, "K") || !strcmp(end, "KiB"))
		return v << 10;
	if (!strcmp(end, "M") || !strcmp(end, "MiB"))
		return v << 20;
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "pid", required_argument, NULL, 'p' },
		{ "subprocesses", no_argument, NULL, 's' },
		{ "blocking", no_argument, NULL, OPT_BLOCKING },
		{ "idle", no_argument, NULL, OPT_IDLE },
		{ "no-idle", no_argument, NULL, OPT_NO_IDLE },
		{ "memory", optional_argument, NULL, OPT_MEMORY },
		{ "memory-sample", required_argument, NULL, OPT_MEMORY_SAMPLE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sampler_opts o;
	struct sampler_result res;
	struct pyro_profile prof;
	struct pyro_view view;
	struct pyro_render_opts ro = { 10, 0.5, NULL, NULL };
	const char *format = NULL, *rendered = NULL;
	char pyro_path[PATH_MAX], rendered_buf[PATH_MAX];
	struct cli_memory mem;
	int memory = 0;
	struct stat st;
	double v;
	int c, rc, code;

	memset(&o, 0, sizeof(o));
	memset(&mem, 0, sizeof(mem));
	o.rate_hz = 1000;
	o.idle = SAMPLER_IDLE_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:f:r:d:m:p:sh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "pyro"))
				break;
			if (!pyro_render_find(optarg, NULL)) {
				fprintf(stderr, "pyrometer: error: unknown format '%s' (%s)\n", optarg, pyro_render_names());
				return EXIT_USAGE;
			}
			format = optarg;
			break;
		case 'r':
			if (!strcmp(optarg, "max")) {
				o.rate_hz = 0;
				break;
			}
			if (cli_parse_number(optarg, 1, SAMPLER_MAX_RATE, &v) < 0) {
				fprintf(stderr, "pyrometer: error: --rate takes a number of Hz from 1 to %d, or max, "
					"not '%s'\n", SAMPLER_MAX_RATE, optarg);
				return EXIT_USAGE;
			}
			o.rate_hz = (unsigned)v;
			break;
		case 'd':
			if (cli_parse_number(optarg, 0.001, 1e7, &v) < 0) {
				fprintf(stderr, "pyrometer: error: --duration takes a positive number of seconds, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			o.duration_s = v;
			break;
		case 'm':
			if (!strcmp(optarg, "wall"))
				o.mode = SAMPLER_WALL;
			else if (!strcmp(optarg, "cpu"))
				o.mode = SAMPLER_CPU;
			else if (!strcmp(optarg, "gil"))
				o.mode = SAMPLER_GIL;
			else {
				fprintf(stderr, "pyrometer: error: --mode is wall, cpu or gil, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (cli_parse_pid(optarg, &o.pid) < 0)
				return EXIT_USAGE;
			break;
		case OPT_BLOCKING:
			o.blocking = 1;
			break;
		case OPT_IDLE:
			o.idle = SAMPLER_IDLE;
			break;
		case OPT_NO_IDLE:
			o.idle = SAMPLER_NO_IDLE;
			break;
		case 's':
			o.subprocesses = 1;
			break;
		case OPT_MEMORY:
			memory = 1;
			if (!optarg || !strcmp(optarg, "sampled"))
				break;
			if (!strcmp(optarg, "exact"))
				mem.exact = 1;
			else if (!strcmp(optarg, "native"))
				mem.native = 1;
			else {
				fprintf(stderr, "pyrometer: error: --memory is sampled, exact or native, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_MEMORY_SAMPLE:
			if (!(mem.sample_bytes = parse_bytes(optarg))) {
				fprintf(stderr, "pyrometer: error: --memory-sample takes a number of bytes (like 524288 or "
					"64KiB), not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			memory = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "pyrometer: error: bad option for record\n\n");
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (o.blocking && o.subprocesses) {
		fprintf(stderr, "pyrometer: error: --blocking cannot follow subprocesses yet: it traces one process; "
			"record each process on its own, or leave out --blocking\n");
		return EXIT_USAGE;
	}
	if ((o.pid && optind < argc) || (!o.pid && optind >= argc)) {
		fprintf(stderr, "pyrometer: error: give either -p PID or a command after --\n\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (format && o.output) {
		size_t len = strlen(o.output);

		if (len > 5 && !strcmp(o.output + len - 5, ".pyro")) {
			rendered_path_for(o.output, format, rendered_buf, sizeof(rendered_buf));
		} else {
			snprintf(rendered_buf, sizeof(rendered_buf), "%s", o.output);
			pyro_path_for(o.output, format, pyro_path, sizeof(pyro_path));
			o.output = pyro_path;
		}
		rendered = rendered_buf;
	}
	o.argv = o.pid ? NULL : argv + optind;
	o.status_line = isatty(STDERR_FILENO);
	if (memory) {
		if (o.pid) {
			fprintf(stderr, "pyrometer: error: --memory needs a program to launch: its agent is loaded when "
				"the interpreter starts (a running process can be sampled for time with -p)\n");
			return EXIT_USAGE;
		}
		if (cli_memory_prepare(&mem, o.argv) < 0) {
			pyro_err_print();
			return 1;
		}
		o.before_close = cli_memory_merge;
		o.before_close_arg = &mem;
	}

	rc = sampler_record(&o, &res);
	code = res.child_exit;
	if (rc < 0) {
		pyro_err_print();
		goto wait_child;
	}
	if (cli_load(res.output, &prof, &view) < 0) {
		rc = -1;
		goto wait_child;
	}
	fputc('\n', stderr);
	rc = pyro_render_text(&view, &ro, stderr);
	if (rc < 0)
		pyro_err_print();
	if (format && !rendered) {
		rendered_path_for(res.output, format, rendered_buf, sizeof(rendered_buf));
		rendered = rendered_buf;
	}
	if (stat(res.output, &st) == 0)
		fprintf(stderr, "\nProfile written to %s (%.1f KiB).", res.output, (double)st.st_size / 1024.0);
	if (rendered) {
		/* From the view the summary used: the file is read once. */
		if (cli_render(&view, format, &ro, rendered) == 0)
			fprintf(stderr, " %s written to %s.\n", format, rendered);
		else if (rc == 0)
			rc = -1;
	} else {
		fprintf(stderr, " Next: pyrometer report %s --format html -o %.*s.html\n", res.output,
			(int)(strlen(res.output) > 5 ? strlen(res.output) - 5 : strlen(res.output)), res.output);
	}
	pyro_view_release(&view);
	pyro_profile_release(&prof);
wait_child:
	if (!o.pid && res.pid > 0 && code < 0) {
		int status;
		pid_t w;

		/* Recording ended first (--duration, or an error): the
		 * program goes on, and its exit code is still ours. */
		do
			w = waitpid(res.pid, &status, 0);
		while (w < 0 && errno == EINTR);
		if (w > 0)
			code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	if (!o.pid && code >= 0)
		return rc < 0 && code == 0 ? 1 : code;
	return rc < 0 ? 1 : 0;
}
