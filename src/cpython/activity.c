/*
 * activity.c - a thread's activity from /proc: its scheduler state, and
 * for a sleeping thread the futex it sleeps on.
 */
#include "cpython/activity.h"
#include "proc/task.h"

#include <sys/syscall.h>
#include <unistd.h>

static enum cpy_activity from_stat(pid_t pid, const struct cpy_thread *th, const struct proc_task_stat *st, int *syscall_fd)
{
	uint64_t arg0 = 0;
	long nr = -1;

	switch (st->state) {
	case 'R':
		return CPY_ACT_RUNNING;
	case 'D':
		return CPY_ACT_DISK;
	case 'T':
	case 't':
		return CPY_ACT_STOPPED;
	case 'S':
		if (!th->gil_lo || th->gil == 1)
			return CPY_ACT_SLEEPING;
		if (*syscall_fd < 0)
			*syscall_fd = proc_task_open(pid, (pid_t)th->native_id, "syscall");
		if (*syscall_fd >= 0 && proc_task_read_syscall(*syscall_fd, &nr, &arg0) == 1 && nr == SYS_futex &&
		    arg0 >= th->gil_lo && arg0 < th->gil_hi)
			return CPY_ACT_GIL_WAIT;
		return CPY_ACT_SLEEPING;
	default:
		return CPY_ACT_UNKNOWN;
	}
}

enum cpy_activity cpy_thread_activity_fds(pid_t pid, const struct cpy_thread *th, int *stat_fd, int *syscall_fd)
{
	struct proc_task_stat st;

	if (!th->native_id)
		return CPY_ACT_UNKNOWN;
	if (*stat_fd < 0)
		*stat_fd = proc_task_open(pid, (pid_t)th->native_id, "stat");
	if (*stat_fd < 0 || proc_task_read(*stat_fd, &st) < 0)
		return CPY_ACT_UNKNOWN;
	return from_stat(pid, th, &st, syscall_fd);
}

enum cpy_activity cpy_thread_activity(pid_t pid, const struct cpy_thread *th)
{
	int stat_fd = -1, syscall_fd = -1;
	enum cpy_activity a = cpy_thread_activity_fds(pid, th, &stat_fd, &syscall_fd);

	if (stat_fd >= 0)
		close(stat_fd);
	if (syscall_fd >= 0)
		close(syscall_fd);
	return a;
}

const char *cpy_activity_name(enum cpy_activity a)
{
	switch (a) {
	case CPY_ACT_RUNNING:
		return "running";
	case CPY_ACT_GIL_WAIT:
		return "waiting for the GIL";
	case CPY_ACT_SLEEPING:
		return "sleeping";
	case CPY_ACT_DISK:
		return "in an uninterruptible wait";
	case CPY_ACT_STOPPED:
		return "stopped";
	default:
		return "unknown";
	}
}
