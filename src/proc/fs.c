/*
 * fs.c - reading /proc files and explaining permission refusals.
 */
#include "proc/fs.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int proc_fs_slurp(const char *path, size_t max, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = NULL;
	int fd, rc = 0;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pyro_err_set(errno, "cannot open %s: %s", path, strerror(errno));
	buf = malloc(cap);
	if (!buf) {
		rc = pyro_err_set(ENOMEM, "out of memory reading %s", path);
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *nb;

			if (cap >= max) {
				rc = pyro_err_set(EFBIG, "%s is larger than %zu bytes", path, max);
				goto out;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				rc = pyro_err_set(ENOMEM, "out of memory reading %s", path);
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = pyro_err_set(errno, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int proc_fs_pid_exists(pid_t pid)
{
	char path[64];
	struct stat st;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &st) == 0;
}

long proc_fs_pid_uid(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &st) < 0)
		return -1;
	return (long)st.st_uid;
}

static const char *user_name(long uid, char *buf, size_t n)
{
	struct passwd *pw = uid >= 0 ? getpwuid((uid_t)uid) : NULL;

	snprintf(buf, n, "%s", pw ? pw->pw_name : "?");
	return buf;
}

void proc_fs_explain_eperm(pid_t pid, char *buf, size_t n)
{
	long owner = proc_fs_pid_uid(pid);
	long me = (long)geteuid();
	char on[64], mn[64];
	char *scope_text = NULL;
	size_t scope_len = 0;
	int scope = -1;

	if (proc_fs_slurp("/proc/sys/kernel/yama/ptrace_scope", 64, &scope_text, &scope_len) == 0)
		scope = atoi(scope_text);
	free(scope_text);
	pyro_err_clear();

	if (owner != me && me != 0) {
		snprintf(buf, n,
			 "pid %d belongs to uid %ld (%s) and you are uid %ld (%s); "
			 "run pyrometer as that user or as root, or give it CAP_SYS_PTRACE "
			 "(sudo setcap cap_sys_ptrace+ep $(command -v pyrometer))",
			 (int)pid, owner, user_name(owner, on, sizeof(on)), me, user_name(me, mn, sizeof(mn)));
	} else if (scope >= 1) {
		snprintf(buf, n,
			 "kernel.yama.ptrace_scope is %d, which lets only a parent process or a holder of "
			 "CAP_SYS_PTRACE read another process; launch the program under pyrometer "
			 "(pyrometer record -- python3 app.py), run as root, give pyrometer CAP_SYS_PTRACE "
			 "(sudo setcap cap_sys_ptrace+ep $(command -v pyrometer)), or set "
			 "sudo sysctl kernel.yama.ptrace_scope=0",
			 scope);
	} else {
		snprintf(buf, n,
			 "the kernel refused access (a container without CAP_SYS_PTRACE, a seccomp "
			 "profile, or a setuid target); run as root or give pyrometer CAP_SYS_PTRACE "
			 "(docker run --cap-add SYS_PTRACE, or sudo setcap cap_sys_ptrace+ep $(command -v pyrometer))");
	}
}
