/*
 * launch.c - fork/exec with exec failures reported through a CLOEXEC pipe.
 */
#include "proc/launch.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int proc_launch(char *const argv[], pid_t *pid)
{
	int fds[2], err = 0;
	ssize_t r;
	pid_t child;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return pyro_err_set(errno, "cannot create a pipe: %s", strerror(errno));
	child = fork();
	if (child < 0) {
		int e = errno;

		close(fds[0]);
		close(fds[1]);
		return pyro_err_set(e, "cannot fork: %s", strerror(e));
	}
	if (child == 0) {
		sigset_t none;
		int e;

		close(fds[0]);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		execvp(argv[0], argv);
		e = errno;
		if (write(fds[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(fds[1]);
	do
		r = read(fds[0], &err, sizeof(err));
	while (r < 0 && errno == EINTR);
	close(fds[0]);
	if (r == (ssize_t)sizeof(err)) {
		waitpid(child, NULL, 0);
		return pyro_err_set(err, "cannot run %s: %s", argv[0], strerror(err));
	}
	*pid = child;
	return 0;
}

int proc_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}
