/*
 * fs.h - small helpers for reading files under /proc.
 */
#ifndef PYRO_PROC_FS_H
#define PYRO_PROC_FS_H

#include <stddef.h>
#include <sys/types.h>

/* Read a whole file (up to max bytes) into a NUL-terminated malloc'd buffer.
 * Returns 0 or negative errno, with the message naming the file. */
int proc_fs_slurp(const char *path, size_t max, char **out, size_t *len);

/* Does /proc/PID exist? 1 yes, 0 no. */
int proc_fs_pid_exists(pid_t pid);

/* The real uid owning /proc/PID (-1 if unknown). */
long proc_fs_pid_uid(pid_t pid);

/* Explain why reading pid's memory was refused, into buf: who owns it,
 * who we are, CAP_SYS_PTRACE and kernel.yama.ptrace_scope. */
void proc_fs_explain_eperm(pid_t pid, char *buf, size_t n);

#endif
