/*
 * cmd_record.c - `pyrometer record`: sample, write the .pyro file, then
 * print the summary read back from that file.
 */
#include "cli/commands.h"
#include "profile/profile.h"
#include "render/render.h"
#include "sampler/sampler.h"
#include "util/err.h"

#include <errno.h>
#include <getopt.h>
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
		"  -r, --rate HZ         samples per second (default 1000, at most %d)\n"
		"  -d, --duration SECS   stop after this long (default: until the program exits)\n"
		"  -m, --mode wall|cpu   wall: every thread all the time (default);\n"
		"                        cpu: only while a thread is running on a CPU\n"
		"  -p, --pid PID         attach to a running process instead of launching\n"
		"  -h, --help            this help\n\n"
		"Launching, pyrometer exits with the program's exit code. Ctrl-C or SIGTERM\n"
		"ends an attached recording; the program keeps running.\n",
		SAMPLER_MAX_RATE);
}

static int parse_number(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sampler_opts o;
	struct sampler_result res;
	struct pyro_profile prof;
	struct pyro_render_opts ro = { 10 };
	struct stat st;
	double v;
	int c, rc, code;

	memset(&o, 0, sizeof(o));
	o.rate_hz = 1000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:r:d:m:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 'r':
			if (parse_number(optarg, 1, SAMPLER_MAX_RATE, &v) < 0) {
				fprintf(stderr, "pyrometer: error: --rate takes a number of Hz from 1 to %d, not '%s'\n",
					SAMPLER_MAX_RATE, optarg);
				return EXIT_USAGE;
			}
			o.rate_hz = (unsigned)v;
			break;
		case 'd':
			if (parse_number(optarg, 0.001, 1e7, &v) < 0) {
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
			else {
				fprintf(stderr, "pyrometer: error: --mode is wall or cpu, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (parse_number(optarg, 1, 4194304, &v) < 0 || v != (double)(pid_t)v) {
				fprintf(stderr, "pyrometer: error: --pid takes a process id, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			o.pid = (pid_t)v;
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
	if ((o.pid && optind < argc) || (!o.pid && optind >= argc)) {
		fprintf(stderr, "pyrometer: error: give either -p PID or a command after --\n\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	o.argv = o.pid ? NULL : argv + optind;
	o.status_line = isatty(STDERR_FILENO);

	rc = sampler_record(&o, &res);
	code = res.child_exit;
	if (rc < 0) {
		pyro_err_print();
		goto wait_child;
	}
	rc = pyro_profile_read(res.output, &prof);
	if (rc < 0) {
		pyro_err_print();
		goto wait_child;
	}
	if (prof.warning[0])
		fprintf(stderr, "pyrometer: warning: %s\n", prof.warning);
	fputc('\n', stderr);
	{
		struct pyro_view view;

		rc = pyro_view_init(&view, &prof);
		if (rc == 0)
			rc = pyro_render_text(&view, &ro, stderr);
		pyro_view_release(&view);
	}
	pyro_profile_release(&prof);
	if (stat(res.output, &st) == 0)
		fprintf(stderr, "\nProfile written to %s (%.1f KiB). Next: pyrometer report %s --format collapsed\n",
			res.output, (double)st.st_size / 1024.0, res.output);
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
