/*
 * task.c - /proc/PID/task: thread ids and per-thread scheduler state.
 */
#include "proc/task.h"
#include "util/buf.h"
#include "util/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

int proc_task_list(pid_t pid, pid_t **tids, size_t *n)
{
	char path[64];
	struct dirent *de;
	pid_t *v = NULL;
	size_t cap = 0, cnt = 0;
	DIR *d;
	int rc = 0;

	*tids = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return pyro_err_set(errno == ENOENT ? ESRCH : errno, "cannot list threads of pid %d: %s", (int)pid,
				    errno == ENOENT ? "no such process" : strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char *end;
		long t = strtol(de->d_name, &end, 10);

		if (*end || t <= 0)
			continue;
		if (cnt >= PROC_MAX_TASKS)
			break;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			pid_t *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				rc = pyro_err_set(ENOMEM, "out of memory listing threads");
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt++] = (pid_t)t;
	}
	*tids = v;
	*n = cnt;
	v = NULL;
out:
	free(v);
	closedir(d);
	return rc;
}

int proc_task_stat_parse(const char *text, size_t len, struct proc_task_stat *st)
{
	const char *p, *end = text + len;
	unsigned long long ut, stt;
	char buf[512];
	size_t n;

	/* comm may hold spaces and parentheses: the state follows the last ')'. */
	for (p = end; p > text && p[-1] != ')'; p--)
		;
	if (p == text)
		return -EINVAL;
	n = (size_t)(end - p) < sizeof(buf) - 1 ? (size_t)(end - p) : sizeof(buf) - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	/* " S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice num_threads itrealvalue
	 * starttime vsize rss rsslim startcode endcode startstack" */
	{
		long long ppid = 0;
		unsigned long long start = 0, code = 0, stack = 0;
		int got = sscanf(buf, " %c %lld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
				      "%llu %*u %*d %*u %llu %*u %llu",
				 &st->state, &ppid, &ut, &stt, &start, &code, &stack);

		if (got < 4)
			return -EINVAL;
		st->utime = ut;
		st->stime = stt;
		st->ppid = ppid;
		st->starttime = got >= 5 ? start : 0;
		st->startcode = got >= 6 ? code : 0;
		st->startstack = got >= 7 ? stack : 0;
	}
	return 0;
}

int proc_stat_read(pid_t pid, struct proc_task_stat *st)
{
	char path[64], buf[1024];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return r < 0 ? -errno : -ESRCH;
	buf[r] = '\0';
	return proc_task_stat_parse(buf, (size_t)r, st);
}

int proc_children_parse(const char *text, pid_t **kids, size_t *n, size_t *cap)
{
	const char *p;
	char *end;

	for (p = text; *p; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p) {
			end = (char *)p + 1; /* not a number: skip the byte */
			continue;
		}
		if (v <= 0 || v > INT32_MAX)
			continue;
		if (pyro_array_grow((void **)kids, cap, *n + 1, sizeof(**kids), SIZE_MAX) < 0)
			return -ENOMEM;
		(*kids)[(*n)++] = (pid_t)v;
	}
	return 0;
}

int proc_children_supported(void)
{
	char self[64];

	snprintf(self, sizeof(self), "/proc/self/task/%d/children", (int)getpid());
	return access(self, R_OK) == 0;
}

int proc_task_children(pid_t pid, pid_t **kids, size_t *n, size_t *cap)
{
	pid_t *tids = NULL;
	size_t ntids = 0, i;
	int rc = proc_task_list(pid, &tids, &ntids);

	if (rc < 0)
		return rc;
	for (i = 0; i < ntids; i++) {
		char path[96], buf[4096];
		ssize_t r;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)tids[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* the thread exited */
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		if ((rc = proc_children_parse(buf, kids, n, cap)) < 0)
			break;
	}
	free(tids);
	return rc;
}

int proc_task_open(pid_t pid, pid_t tid, const char *file)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)pid, (int)tid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int proc_task_read(int fd, struct proc_task_stat *st)
{
	char buf[1024];
	ssize_t r;

	r = pread(fd, buf, sizeof(buf) - 1, 0);
	if (r <= 0)
		return r < 0 ? -errno : -ESRCH;
	buf[r] = '\0';
	return proc_task_stat_parse(buf, (size_t)r, st);
}

int proc_task_read_oncpu(int fd, uint64_t *ns)
{
	char buf[128], *end;
	unsigned long long v;
	ssize_t r;

	r = pread(fd, buf, sizeof(buf) - 1, 0);
	if (r <= 0)
		return r < 0 ? -errno : -ESRCH;
	buf[r] = '\0';
	/* "on-cpu-ns wait-ns timeslices" */
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	*ns = v;
	return 0;
}

int proc_task_open_clock(pid_t tid)
{
	struct perf_event_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.exclude_hv = 1;
	fd = syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : (int)fd;
}

int proc_task_read_clock(int fd, uint64_t *ns)
{
	ssize_t r = read(fd, ns, sizeof(*ns));

	if (r != (ssize_t)sizeof(*ns))
		return r < 0 ? -errno : -ESRCH;
	return 0;
}

int proc_task_syscall_parse(const char *text, long *nr, uint64_t *arg0)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	/* "running", or -1: in user space or the kernel outside a call. */
	if (end == text || errno || n < 0)
		return 0;
	if (*end != ' ')
		return -EINVAL;
	errno = 0;
	*arg0 = strtoull(end + 1, &end, 16);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	*nr = n;
	return 1;
}

int proc_task_read_syscall(int fd, long *nr, uint64_t *arg0)
{
	char buf[256];
	ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);

	if (r <= 0)
		return r < 0 ? -errno : -ESRCH;
	buf[r] = '\0';
	return proc_task_syscall_parse(buf, nr, arg0);
}

int proc_task_syscall(pid_t pid, pid_t tid, long *nr, uint64_t *arg0)
{
	int fd = proc_task_open(pid, tid, "syscall"), rc;

	if (fd < 0)
		return fd;
	rc = proc_task_read_syscall(fd, nr, arg0);
	close(fd);
	return rc;
}
