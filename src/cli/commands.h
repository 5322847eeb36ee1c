/*
 * commands.h - the subcommands. Each lives in cmd_<name>.c and is listed
 * once in the table in main.c.
 */
#ifndef PYRO_CLI_COMMANDS_H
#define PYRO_CLI_COMMANDS_H

/* Exit codes shared by every command. */
#define EXIT_USAGE 2

int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_top(int argc, char **argv);

#include <stdio.h>
#include <sys/types.h>

struct pyro_render_opts;
struct pyro_profile;
struct pyro_view;

/* Read path and build its view; warn about a file cut short. Returns 0, or
 * -1 with the error printed (nothing to release). */
int cli_load(const char *path, struct pyro_profile *p, struct pyro_view *v);
/* The same, keeping only process pid's samples when pid is not 0 (report --pid). */
int cli_load_pid(const char *path, struct pyro_profile *p, struct pyro_view *v, pid_t pid);

/* A command's output: stdout (path NULL), or a file created complete. */
struct cli_output {
	FILE *f;           /* owned unless stdout */
	const char *path;  /* borrowed; NULL for stdout */
	char *tmp;         /* owned: the name written until the end */
};

/* Open path for writing (NULL: standard output). Returns 0 or negative
 * with the message set. */
int cli_output_open(struct cli_output *o, const char *path);
/* Finish: on rc == 0 flush/close and move the file into place; on failure
 * remove what was written. Returns rc, or the write error. */
int cli_output_close(struct cli_output *o, int rc);
/* Shared option parsing: print the error and return -1 when bad. */
int cli_parse_top(const char *arg, unsigned *top);
int cli_parse_percent(const char *arg, double *pct);
int cli_parse_pid(const char *arg, pid_t *pid);
/* A number from lo to hi; silent (the caller says what the option takes). */
int cli_parse_number(const char *arg, double lo, double hi, double *out);
/* Write v in format (a name pyro_render_find knows) to output (stdout when
 * NULL). Returns an exit code: 0, 1 (error printed) or EXIT_USAGE. */
int cli_render(const struct pyro_view *v, const char *format, const struct pyro_render_opts *ro, const char *output);

#endif
