/*
 * cmd_report.c - `pyrometer report`: render a .pyro file.
 */
#include "cli/commands.h"
#include "profile/profile.h"
#include "render/render.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pyrometer report FILE.pyro [--format text|collapsed] [-o OUT] [--top N]\n\n"
		"  -f, --format FMT   text: top functions and lines (default)\n"
		"                     collapsed: 'thread N;root;...;leaf weight_us' lines for flamegraph.pl\n"
		"  -o, --output OUT   write here instead of standard output\n"
		"  -n, --top N        rows per table in text output (default 10)\n"
		"  -h, --help         this help\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "top", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "text", *output = NULL, *path;
	struct pyro_render_opts ro = { 10 };
	struct pyro_profile p;
	FILE *out = stdout;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'n':
			ro.top = (unsigned)atoi(optarg);
			if (ro.top == 0 || ro.top > 100000) {
				fprintf(stderr, "pyrometer: error: --top takes a number from 1 to 100000\n");
				return EXIT_USAGE;
			}
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
	if (strcmp(format, "text") && strcmp(format, "collapsed")) {
		fprintf(stderr, "pyrometer: error: unknown format '%s' (text, collapsed)\n", format);
		return EXIT_USAGE;
	}
	path = argv[optind];
	if (pyro_profile_read(path, &p) < 0) {
		pyro_err_print();
		return 1;
	}
	if (p.warning[0])
		fprintf(stderr, "pyrometer: warning: %s: %s\n", path, p.warning);
	if (output && !(out = fopen(output, "w"))) {
		fprintf(stderr, "pyrometer: error: cannot create %s\n", output);
		pyro_profile_release(&p);
		return 1;
	}
	rc = !strcmp(format, "text") ? pyro_render_text(&p, &ro, out) : pyro_render_collapsed(&p, out);
	if (out != stdout && fclose(out) != 0 && rc == 0)
		rc = pyro_err_set(5, "cannot write %s", output);
	pyro_profile_release(&p);
	if (rc < 0) {
		pyro_err_print();
		return 1;
	}
	return 0;
}
