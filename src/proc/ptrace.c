/*
 * ptrace.c - pausing another process's threads (see ptrace.h).
 *
 * Reports are collected with waitpid(-1, __WALL | WNOHANG): one call takes
 * any traced thread's report, including those of threads not known yet
 * (the kernel attaches new threads on its own). It would take any child's
 * too: pyrometer's only child is a launched target, which is traced, and
 * its exit is kept for the caller (ptrace.h).
 */
#include "proc/ptrace.h"
#include "proc/fs.h"
#include "proc/task.h"
#include "util/err.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

/* A wait for threads to stop ends after this long without a report from
 * any of them; the ones still running are then late. */
#define STOP_QUIET_MS 100
#define DETACH_QUIET_MS 1000
/* Listing the threads again while seizing is needed only when a thread
 * not yet seized started another meanwhile. */
#define MAX_SEIZE_ROUNDS 100

static struct proc_ptrace_thread *find(struct proc_ptrace *pt, pid_t tid)
{
	size_t i;

	for (i = 0; i < pt->nthreads; i++)
		if (pt->threads[i].tid == tid)
			return &pt->threads[i];
	return NULL;
}

/* A new entry, RUNNING, at the end of the table; NULL when out of memory. */
static struct proc_ptrace_thread *add(struct proc_ptrace *pt, pid_t tid)
{
	struct proc_ptrace_thread *t;

	if (pt->nthreads == pt->cap_threads) {
		size_t ncap = pt->cap_threads ? pt->cap_threads * 2 : 16;
		struct proc_ptrace_thread *nv;

		if (ncap > PROC_MAX_TASKS)
			return NULL;
		nv = realloc(pt->threads, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		pt->threads = nv;
		pt->cap_threads = ncap;
	}
	t = &pt->threads[pt->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->state = PTRACE_T_RUNNING;
	return t;
}

static void forget(struct proc_ptrace *pt, struct proc_ptrace_thread *t)
{
	*t = pt->threads[--pt->nthreads];
}

/* Let a stopped thread go: back into its group-stop if it was in one (the
 * process stays stopped until SIGCONT, as it would untraced), else running
 * with the signal it had stopped for. A failure means it was killed while
 * stopped; its exit will be reported. */
static void resume_thread(struct proc_ptrace_thread *t)
{
	if (t->group) {
		ptrace(PTRACE_LISTEN, t->tid, 0, 0);
		t->state = PTRACE_T_LISTENING;
	} else {
		ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)t->sig);
		t->state = PTRACE_T_RUNNING;
	}
	t->group = 0;
	t->sig = 0;
}

static int is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* One report from waitpid. A stop is one of: a signal-delivery-stop (no
 * event: the signal is kept to be passed on), a group-stop (PTRACE_EVENT_STOP
 * with a stopping signal), or a trap that carries no signal (our
 * PTRACE_INTERRUPT, a new thread's first stop, the end of a group-stop, a
 * clone). */
static int handle(struct proc_ptrace *pt, pid_t tid, int status)
{
	struct proc_ptrace_thread stop, *t = find(pt, tid);
	int event = status >> 16, rc = 0;
	unsigned long child;

	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (tid == pt->pid) {
			pt->exited = 1;
			pt->exit_status = status;
		}
		if (t)
			forget(pt, t);
		return 0;
	}
	if (!WIFSTOPPED(status))
		return 0;
	memset(&stop, 0, sizeof(stop));
	stop.tid = tid;
	stop.state = PTRACE_T_STOPPED;
	stop.group = event == PTRACE_EVENT_STOP && is_stop_signal(WSTOPSIG(status));
	stop.sig = event ? 0 : WSTOPSIG(status);
	if (!t)
		t = add(pt, tid);
	if (!t) {
		resume_thread(&stop); /* untracked, it must not stay stopped */
		return pyro_err_set(ENOMEM, "out of memory tracking thread %d of pid %d", (int)tid, (int)pt->pid);
	}
	*t = stop;
	/* The thread just started is on its way to its first stop; until then
	 * it is waited for as if interrupted, so that no stop or detach misses
	 * it. It may have reported already. */
	if (event == PTRACE_EVENT_CLONE && ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0 &&
	    !find(pt, (pid_t)child)) {
		struct proc_ptrace_thread *nt = add(pt, (pid_t)child);

		if (nt)
			nt->state = PTRACE_T_INTERRUPTED;
		else
			rc = pyro_err_set(ENOMEM, "out of memory tracking thread %lu of pid %d", child, (int)pt->pid);
		t = find(pt, tid); /* add() may have moved the table */
	}
	if (!pt->holding)
		resume_thread(t);
	return rc;
}

int proc_ptrace_poll(struct proc_ptrace *pt)
{
	int rc = 0;

	for (;;) {
		int status, r;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);

		if (tid > 0) {
			r = handle(pt, tid, status);
			if (rc == 0)
				rc = r;
			continue;
		}
		if (tid < 0 && errno == EINTR)
			continue;
		return rc; /* 0: nothing more for now; ECHILD: nothing traced is left */
	}
}

static int awaited(const struct proc_ptrace *pt)
{
	size_t i;

	for (i = 0; i < pt->nthreads; i++)
		if (pt->threads[i].state == PTRACE_T_INTERRUPTED && !pt->threads[i].late)
			return 1;
	return 0;
}

/* Wait until every interrupted thread has stopped, each wait ending at a
 * SIGCHLD (a report) or after quiet_ms without one. SIGCHLD is blocked
 * from looking to sleeping and let in only by ppoll(): one arriving in
 * between would otherwise be slept through. */
static int wait_for_stops(struct proc_ptrace *pt, int quiet_ms)
{
	struct timespec quiet = { quiet_ms / 1000, (long)(quiet_ms % 1000) * 1000000L };
	sigset_t chld, old, during;
	int rc = 0, r;
	size_t i;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	during = old;
	sigdelset(&during, SIGCHLD);
	for (;;) {
		r = proc_ptrace_poll(pt);
		if (rc == 0)
			rc = r;
		if (!awaited(pt))
			break;
		if (ppoll(NULL, 0, &quiet, &during) == 0) {
			for (i = 0; i < pt->nthreads; i++) {
				struct proc_ptrace_thread *t = &pt->threads[i];

				if (t->state == PTRACE_T_INTERRUPTED && !t->late) {
					t->late = 1;
					pt->late_stops++;
				}
			}
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Interrupt the running threads (and the listening ones too: a thread in a
 * group-stop can be detached only after it traps again). One that cannot
 * be interrupted is no longer ours to trace: gone, or renamed by an execve
 * in another thread. */
static void interrupt_all(struct proc_ptrace *pt, int listening_too)
{
	size_t i = 0;

	while (i < pt->nthreads) {
		struct proc_ptrace_thread *t = &pt->threads[i];

		if (t->state == PTRACE_T_RUNNING || (listening_too && t->state == PTRACE_T_LISTENING)) {
			if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0) {
				forget(pt, t);
				continue;
			}
			t->state = PTRACE_T_INTERRUPTED;
			t->late = 0;
		}
		i++;
	}
}

int proc_ptrace_stop(struct proc_ptrace *pt)
{
	int rc, r;

	/* Resume what stopped on its own first, so that it is not taken for a
	 * thread that stopped when asked. */
	rc = proc_ptrace_poll(pt);
	pt->holding = 1;
	interrupt_all(pt, 0);
	r = wait_for_stops(pt, STOP_QUIET_MS);
	if (rc == 0)
		rc = r;
	if (rc == 0 && !pt->nthreads)
		rc = pyro_err_set(ESRCH, "pid %d has no threads left", (int)pt->pid);
	return rc;
}

void proc_ptrace_resume(struct proc_ptrace *pt)
{
	size_t i;

	for (i = 0; i < pt->nthreads; i++)
		if (pt->threads[i].state == PTRACE_T_STOPPED)
			resume_thread(&pt->threads[i]);
	pt->holding = 0;
}

/* Why PTRACE_SEIZE was refused, from the thread's status file: *tracer
 * is its tracer (0 none, -1 unknown); returns 1 when the thread is exiting
 * (Z or X), which the kernel refuses too. */
static int seize_refusal(pid_t pid, pid_t tid, long *tracer)
{
	char path[64], *text, *p;
	char state = '?';
	size_t len;

	*tracer = -1;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (proc_fs_slurp(path, 1u << 16, &text, &len) < 0) {
		pyro_err_clear();
		return 0;
	}
	p = strstr(text, "\nState:");
	if (p)
		sscanf(p, " State: %c", &state);
	p = strstr(text, "\nTracerPid:");
	if (p)
		sscanf(p, " TracerPid: %ld", tracer);
	free(text);
	return state == 'Z' || state == 'X';
}

static int seize_error(pid_t pid, pid_t tid, int err, long tracer)
{
	char why[400], path[64], *comm = NULL;
	size_t len;

	if (err != EPERM)
		return pyro_err_set(err, "cannot trace thread %d of pid %d for --blocking: %s", (int)tid, (int)pid,
				    strerror(err));
	if (tracer > 0) {
		snprintf(path, sizeof(path), "/proc/%ld/comm", tracer);
		if (proc_fs_slurp(path, 256, &comm, &len) == 0)
			comm[strcspn(comm, "\n")] = '\0';
		pyro_err_set(EPERM, "cannot trace pid %d for --blocking: its thread %d is already traced by pid %ld "
			     "(%s), and a thread can have only one tracer; detach that debugger (gdb, strace, "
			     "another pyrometer --blocking) or record without --blocking",
			     (int)pid, (int)tid, tracer, comm ? comm : "?");
		free(comm);
		return -EPERM;
	}
	proc_fs_explain_eperm(pid, why, sizeof(why));
	return pyro_err_set(EPERM, "cannot trace pid %d for --blocking (ptrace refused): %s", (int)pid, why);
}

/* Returns 1 when the thread was seized, 0 when there was nothing to do (it
 * is exiting, or a traced thread started it and the kernel attached it
 * already: its clone report names it), or negative. */
static int seize_thread(struct proc_ptrace *pt, pid_t tid)
{
	long tracer = -1;
	int err;

	if (!add(pt, tid))
		return pyro_err_set(ENOMEM, "out of memory tracking thread %d of pid %d", (int)tid, (int)pt->pid);
	if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)PTRACE_O_TRACECLONE) == 0)
		return 1;
	err = errno;
	pt->nthreads--; /* the entry just added */
	if (err == ESRCH)
		return 0;
	if (err == EPERM && (seize_refusal(pt->pid, tid, &tracer) || tracer == (long)getpid()))
		return 0;
	return seize_error(pt->pid, tid, err, tracer);
}

int proc_ptrace_seize(struct proc_ptrace *pt, pid_t pid)
{
	struct sigaction sa;
	pid_t *tids = NULL;
	size_t n, i;
	int round, added = 1, rc = 0;

	memset(pt, 0, sizeof(*pt));
	pt->pid = pid;
	sigaction(SIGCHLD, NULL, &sa);
	if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDSTOP))
		return pyro_err_set(EINVAL, "cannot trace pid %d: SIGCHLD must be caught, stops included, to "
				    "learn when its threads stop", (int)pid);
	for (round = 0; added && round < MAX_SEIZE_ROUNDS; round++) {
		rc = proc_task_list(pid, &tids, &n);
		if (rc < 0)
			goto out;
		for (added = 0, i = 0; i < n; i++) {
			if (find(pt, tids[i]))
				continue;
			rc = seize_thread(pt, tids[i]);
			if (rc < 0)
				goto out;
			added += rc;
		}
		free(tids);
		tids = NULL;
	}
	rc = 0;
	if (added)
		rc = pyro_err_set(EAGAIN, "cannot trace pid %d for --blocking: it starts threads faster than they "
				  "can be traced", (int)pid);
out:
	free(tids);
	if (rc < 0)
		proc_ptrace_detach(pt);
	return rc;
}

size_t proc_ptrace_detach(struct proc_ptrace *pt)
{
	size_t i, left = 0;

	/* PTRACE_DETACH needs the thread in a ptrace-stop: stop them all
	 * first, each thread late before given the full wait again. */
	proc_ptrace_poll(pt);
	pt->holding = 1;
	for (i = 0; i < pt->nthreads; i++)
		pt->threads[i].late = 0;
	interrupt_all(pt, 1);
	wait_for_stops(pt, DETACH_QUIET_MS);
	for (i = 0; i < pt->nthreads; i++) {
		struct proc_ptrace_thread *t = &pt->threads[i];

		/* With the signal it stopped for; one in a group-stop stays
		 * stopped, as the process is. */
		if (t->state == PTRACE_T_STOPPED)
			ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)t->sig);
		else
			left++;
	}
	free(pt->threads);
	pt->threads = NULL;
	pt->nthreads = pt->cap_threads = 0;
	pt->holding = 0;
	return left;
}
