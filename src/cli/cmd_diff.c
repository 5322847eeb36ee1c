/*
 * cmd_diff.c - `pyrometer diff BEFORE AFTER`: what got faster or slower,
 * by function and by line.
 */
#include "cli/commands.h"
#include "profile/profile.h"
#include "render/render.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pyrometer diff BEFORE.pyro AFTER.pyro [-f text|html|json] [-o OUT] [-n N]\n\n"
		"Per function and per line: time in each run (absolute, and as a share of\n"
		"that run), the change, and its share of the whole change; sorted by how\n"
		"much each moved.\n\n"
		"  -f, --format FMT   text (default); html: differential flame graph (slower red,\n"
		"                     faster blue) and the table; json: docs/diff.schema.json\n"
		"  -o, --output OUT   write here instead of standard output\n"
		"  -n, --top N        rows per table (text; default 15)\n"
		"  -h, --help         this help\n");
}

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "top", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "text", *output = NULL;
	struct pyro_render_opts ro = { 15, 0.5, NULL, NULL };
	int (*fn)(const struct pyro_view *, const struct pyro_view *, const struct pyro_render_opts *, FILE *);
	struct pyro_profile p[2];
	struct pyro_view v[2];
	int c, i, rc = 1, loaded = 0;
	struct cli_output o;

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
			if (cli_parse_top(optarg, &ro.top) < 0)
				return EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "pyrometer: error: bad option for diff\n\n");
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 2 != argc) {
		fprintf(stderr, "pyrometer: error: diff takes two .pyro files, before then after\n\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(format, "text"))
		fn = pyro_render_diff_text;
	else if (!strcmp(format, "html"))
		fn = pyro_render_diff_html;
	else if (!strcmp(format, "json"))
		fn = pyro_render_diff_json;
	else {
		fprintf(stderr, "pyrometer: error: unknown diff format '%s' (text, html, json)\n", format);
		return EXIT_USAGE;
	}
	ro.label_before = argv[optind];
	ro.label_after = argv[optind + 1];
	for (i = 0; i < 2; i++) {
		if (cli_load(argv[optind + i], &p[i], &v[i]) < 0)
			goto out;
		loaded++;
	}
	if (cli_output_open(&o, output) < 0) {
		pyro_err_print();
		goto out;
	}
	rc = cli_output_close(&o, fn(&v[0], &v[1], &ro, o.f));
	if (rc < 0) {
		pyro_err_print();
		rc = 1;
	}
out:
	for (i = 0; i < loaded; i++) {
		pyro_view_release(&v[i]);
		pyro_profile_release(&p[i]);
	}
	return rc;
}
