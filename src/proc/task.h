/*
 * task.h - the threads of another process and whether each is on a CPU.
 */
#ifndef PYRO_PROC_TASK_H
#define PYRO_PROC_TASK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_MAX_TASKS 65536

struct proc_task_stat {
	char state;      /* 'R' running or runnable, 'S' sleeping, 'D' disk, ... */
	uint64_t utime;  /* clock ticks */
	uint64_t stime;
	/* 0 when the text stops before them, or (the last two) when the
	 * reader may not trace the process: */
	int64_t ppid;
	uint64_t starttime;  /* clock ticks after boot: with the pid, names one process */
	uint64_t startcode;  /* where its program's text starts and its stack: */
	uint64_t startstack; /* with ASLR, both move at each execve */
};

/* List the thread ids of pid into a malloc'd array. Returns 0 or negative
 * (-ESRCH when the process is gone). */
int proc_task_list(pid_t pid, pid_t **tids, size_t *n);
/* The children of every thread of pid (/proc/PID/task/TID/children),
 * appended to *kids (malloc'd, grown). Returns 0, or negative: -ESRCH
 * gone, -ENOMEM. */
int proc_task_children(pid_t pid, pid_t **kids, size_t *n, size_t *cap);
/* Parse the text of one children file ("12 345 "): pids appended to
 * *kids; anything that is not a positive 32-bit number is skipped.
 * Returns 0 or -ENOMEM. */
int proc_children_parse(const char *text, pid_t **kids, size_t *n, size_t *cap);
/* Whether this kernel has those files (CONFIG_PROC_CHILDREN). */
int proc_children_supported(void);
/* Read /proc/PID/stat. Returns 0 or negative (-ESRCH: gone). */
int proc_stat_read(pid_t pid, struct proc_task_stat *st);

/* Parse the text of /proc/PID/task/TID/stat (or /proc/PID/stat). Returns 0
 * or -EINVAL. */
int proc_task_stat_parse(const char *text, size_t len, struct proc_task_stat *st);

/* Open /proc/PID/task/TID/<file> ("stat" or "schedstat") for repeated
 * reads; returns an fd or negative. */
int proc_task_open(pid_t pid, pid_t tid, const char *file);
/* Re-read an open stat file (one pread). Returns 0 or negative. */
int proc_task_read(int fd, struct proc_task_stat *st);
/* Re-read an open schedstat file: nanoseconds the thread has spent on a CPU.
 * Returns 0 or negative. The kernel updates this counter at scheduler ticks
 * and context switches, so for a running thread it lags by up to a tick. */
int proc_task_read_oncpu(int fd, uint64_t *ns);

/* The system call a thread is blocked in, from /proc/PID/task/TID/syscall
 * (readable with the right to trace the process): its number and first
 * argument (for futex, the address waited on). Returns 1 when blocked in
 * one, 0 when running or between calls, negative on error. */
int proc_task_syscall(pid_t pid, pid_t tid, long *nr, uint64_t *arg0);
/* The same from a "syscall" file kept open (proc_task_open), re-read. */
int proc_task_read_syscall(int fd, long *nr, uint64_t *arg0);
/* Parse that file's text ("202 0x7f... ...", "running", "-1 0x... 0x..."). */
int proc_task_syscall_parse(const char *text, long *nr, uint64_t *arg0);

/* Open a precise CPU clock for a thread of another process: a perf
 * software task-clock counter (read() asks the CPU the thread runs on, so
 * the value is current to the nanosecond). Needs perf events and the right
 * to trace the target (root, CAP_PERFMON, or perf_event_paranoid <= 2 with
 * ptrace access). Returns an fd for proc_task_read_clock(), or negative. */
int proc_task_open_clock(pid_t tid);
int proc_task_read_clock(int fd, uint64_t *ns);

#endif
