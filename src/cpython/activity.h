/*
 * activity.h - what a sampled thread is doing as the OS sees it: on a CPU,
 * asleep, waiting for the GIL, in an uninterruptible wait.
 */
#ifndef PYRO_CPYTHON_ACTIVITY_H
#define PYRO_CPYTHON_ACTIVITY_H

#include "cpython/target.h"

#include <sys/types.h>

/* The values are the .pyro file's (enum pyro_activity). */
enum cpy_activity {
	CPY_ACT_UNKNOWN = 0,   /* the thread's OS state could not be read */
	CPY_ACT_RUNNING,       /* on a CPU or ready to run ('R') */
	CPY_ACT_GIL_WAIT,      /* asleep on its interpreter's GIL */
	CPY_ACT_SLEEPING,      /* asleep on anything else: I/O, a lock, time.sleep */
	CPY_ACT_DISK,          /* uninterruptible wait ('D') */
	CPY_ACT_STOPPED,       /* stopped or traced ('T', 't') */
};

/* The activity of th (its native id must be known) in process pid. A
 * sleeping thread is waiting for the GIL when the futex it sleeps on lies
 * inside the interpreter's GIL (th->gil_lo..gil_hi): its mutex or
 * condition variable. */
enum cpy_activity cpy_thread_activity(pid_t pid, const struct cpy_thread *th);
/* The same for a sampler that reads a thread every round: its "stat" and
 * "syscall" files are kept open in *stat_fd and *syscall_fd (-1: not yet
 * opened; opened here as needed, closed by the caller). */
enum cpy_activity cpy_thread_activity_fds(pid_t pid, const struct cpy_thread *th, int *stat_fd, int *syscall_fd);
/* "running", "waiting for the GIL", ... */
const char *cpy_activity_name(enum cpy_activity a);

#endif
