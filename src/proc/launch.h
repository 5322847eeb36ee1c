/*
 * launch.h - start a command as a child, untouched: same argv, environment,
 * working directory and standard streams as if the user had run it.
 */
#ifndef PYRO_PROC_LAUNCH_H
#define PYRO_PROC_LAUNCH_H

#include <sys/types.h>

/* Fork and exec argv[0] (searched in PATH). Returns 0 with *pid set once the
 * exec has succeeded, or negative with a message ("cannot run foo: No such
 * file or directory") when it failed; no child is left behind then. */
int proc_launch(char *const argv[], pid_t *pid);

/* Convert a wait status to a shell-style exit code (128+N for signal N). */
int proc_exit_code(int status);

#endif
