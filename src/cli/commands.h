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

#endif
