/*
 * activity.c - a thread's activity from /proc: its scheduler state, and
 * for a sleeping thread the futex it sleeps on.
 */
#include "cpython/activity.h"
#include "proc/task.h"

#include <sys/syscall.h>
#include <unistd.h>

enum cpy_activity cpy_thread_activity(pid_t pid, const struct cpy_thread *th)
{
	struct proc_task_stat st;
	uint64_t arg0 = 0;
	long nr = -1;
	int fd, rc;

	if (!th->native_id)
		return CPY_ACT_UNKNOWN;
	fd = proc_task_open(pid, (pid_t)th->native_id, "stat");
	if (fd < 0)
		return CPY_ACT_UNKNOWN;
	rc = proc_task_read(fd, &st);
	close(fd);
	if (rc < 0)
		return CPY_ACT_UNKNOWN;
	switch (st.state) {
	case 'R':
		return CPY_ACT_RUNNING;
	case 'D':
		return CPY_ACT_DISK;
	case 'T':
	case 't':
		return CPY_ACT_STOPPED;
	case 'S':
		if (th->gil_lo && th->gil != 1 && proc_task_syscall(pid, (pid_t)th->native_id, &nr, &arg0) == 1 &&
		    nr == SYS_futex && arg0 >= th->gil_lo && arg0 < th->gil_hi)
			return CPY_ACT_GIL_WAIT;
		return CPY_ACT_SLEEPING;
	default:
		return CPY_ACT_UNKNOWN;
	}
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
