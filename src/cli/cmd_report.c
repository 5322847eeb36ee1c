/*
 * cmd_report.c - `pyrometer report`: render a .pyro file in any format.
 */
#include "cli/commands.h"
#include "profile/profile.h"
#include "render/render.h"
#include "util/err.h"

#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pyrometer report FILE.pyro [-f FORMAT] [-o OUT] [-n N] [--min-percent P]\n\n"
		"  -f, --format FMT   text: top functions and lines (default)\n"
		"                     tree: call tree per thread, total and self %%\n"
		"                     lines: the hottest functions' source, time per line\n"
		"                     html: interactive flame graph, one self-contained file\n"
		"                     speedscope: JSON for speedscope (www.speedscope.app)\n"
		"                     pstats: for python -m pstats, snakeviz (binary)\n"
		"                     pprof: gzipped profile.proto for go tool pprof, Pyroscope (binary)\n"
		"                     collapsed: 'thread N;root;...;leaf weight_us' for flamegraph.pl\n"
		"                     chrome: Trace Event JSON for Perfetto, chrome://tracing\n"
		"                     json: pyrometer's report (docs/report.schema.json)\n"
		"  -o, --output OUT   write here instead of standard output\n"
		"  -n, --top N        rows per table (text); functions listed (lines; default 10)\n"
		"      --min-percent P  tree: hide calls under P%% of their thread's time (default 0.5)\n"
		"  -p, --pid PID      only this process's samples (of a record --subprocesses profile)\n"
		"  -h, --help         this help\n\n"
		"docs/FORMATS.md describes each format and its conventions.\n");
}

/* Parse --top / --min-percent style values; 0 when bad. */
int cli_parse_top(const char *arg, unsigned *top)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);

	if (*arg < '0' || *arg > '9' || *end || n == 0 || n > 100000) {
		fprintf(stderr, "pyrometer: error: --top takes a number from 1 to 100000\n");
		return -1;
	}
	*top = (unsigned)n;
	return 0;
}

int cli_parse_number(const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

int cli_parse_pid(const char *arg, pid_t *pid)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);

	if (*arg < '0' || *arg > '9' || *end || n == 0 || n > 4194304) {
		fprintf(stderr, "pyrometer: error: --pid takes a process id, not '%s'\n", arg);
		return -1;
	}
	*pid = (pid_t)n;
	return 0;
}

int cli_parse_percent(const char *arg, double *pct)
{
	char *end;
	double d = strtod(arg, &end);

	if (end == arg || *end || !(d >= 0 && d <= 100)) {
		fprintf(stderr, "pyrometer: error: --min-percent takes a number from 0 to 100\n");
		return -1;
	}
	*pct = d;
	return 0;
}

int cli_load(const char *path, struct pyro_profile *p, struct pyro_view *v)
{
	return cli_load_pid(path, p, v, 0);
}

int cli_load_pid(const char *path, struct pyro_profile *p, struct pyro_view *v, pid_t pid)
{
	if (pyro_profile_read(path, p) < 0) {
		pyro_err_print();
		return -1;
	}
	if (p->warning[0])
		fprintf(stderr, "pyrometer: warning: %s: %s\n", path, p->warning);
	if (pid && pyro_profile_keep_pid(p, (uint64_t)pid) < 0) {
		fprintf(stderr, "pyrometer: error: %s: %s\n", path, pyro_err_msg());
		pyro_profile_release(p);
		return -1;
	}
	if (pyro_view_init(v, p) < 0) {
		fprintf(stderr, "pyrometer: error: out of memory reading %s\n", path);
		pyro_profile_release(p);
		return -1;
	}
	return 0;
}

int cli_render(const struct pyro_view *v, const char *format, const struct pyro_render_opts *ro, const char *output)
{
	struct cli_output o;
	int binary = 0, rc;
	pyro_render_fn fn = pyro_render_find(format, &binary);

	if (!output && binary && isatty(fileno(stdout))) {
		fprintf(stderr, "pyrometer: error: the %s format is binary; give -o FILE\n", format);
		return EXIT_USAGE;
	}
	if (cli_output_open(&o, output) < 0) {
		pyro_err_print();
		return 1;
	}
	rc = cli_output_close(&o, fn(v, ro, o.f));
	if (rc < 0) {
		pyro_err_print();
		return 1;
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "top", required_argument, NULL, 'n' },
		{ "min-percent", required_argument, NULL, 'P' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "text", *output = NULL;
	struct pyro_render_opts ro = { 10, 0.5, NULL, NULL };
	struct pyro_profile p;
	struct pyro_view v;
	pid_t pid = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:n:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'n':
			if (cli_parse_top(optarg, &ro.top) < 0)
				return EXIT_USAGE;
			break;
		case 'P':
			if (cli_parse_percent(optarg, &ro.min_percent) < 0)
				return EXIT_USAGE;
			break;
		case 'p':
			if (cli_parse_pid(optarg, &pid) < 0)
				return EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "pyrometer: error: bad option for report\n\n");
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "pyrometer: error: %s\n\n", optind >= argc ? "report needs a .pyro file" : "report takes one file");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!pyro_render_find(format, NULL)) {
		fprintf(stderr, "pyrometer: error: unknown format '%s' (%s)\n", format, pyro_render_names());
		return EXIT_USAGE;
	}
	if (cli_load_pid(argv[optind], &p, &v, pid) < 0)
		return 1;
	rc = cli_render(&v, format, &ro, output);
	pyro_view_release(&v);
	pyro_profile_release(&p);
	return rc;
}
