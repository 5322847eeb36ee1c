/*
 * main.c - pyrometer's entry point: the command table and help.
 */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "record", cmd_record, "sample a Python program (launch it, or attach by -p PID) into a .pyro file" },
	{ "report", cmd_report, "render a .pyro profile: text, tree, lines, html flame graph, speedscope, pstats, pprof, ..." },
	{ "top", cmd_top, "a live view of where a program spends its time, like top(1) (-p PID or -- COMMAND)" },
	{ "dump", cmd_dump, "print every thread's Python stack once (-p PID), with its state and the GIL holder" },
	{ "diff", cmd_diff, "compare two profiles: what got faster or slower, by function and line" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"pyrometer %s - where a Python program spends its time\n\n"
		"usage: pyrometer <command> [options]\n\ncommands:\n",
		PYROMETER_VERSION);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(out,
		"\nexamples:\n"
		"  pyrometer record -- python3 app.py        launch and profile; summary at exit\n"
		"  pyrometer record -p 4242 --duration 30    attach to a running process\n"
		"  pyrometer report run.pyro --format html -o run.html\n"
		"  pyrometer diff before.pyro after.pyro\n"
		"  pyrometer top -p 4242                     live view, refreshed every second\n"
		"  pyrometer dump -p 4242                    every thread's stack, now\n"
		"\n'pyrometer <command> -h' shows a command's options.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fprintf(stderr, "pyrometer: error: no command given\n\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("pyrometer %s\n", PYROMETER_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "pyrometer: error: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
