/*
 * ptrace.h - pause every thread of another process for a moment, and let it
 * go again (record --blocking).
 *
 * Each thread is attached with PTRACE_SEIZE, which, unlike PTRACE_ATTACH,
 * neither stops it nor sends it a signal; threads it starts later are
 * attached by the kernel (PTRACE_O_TRACECLONE). proc_ptrace_stop() then
 * interrupts them all and waits for each to stop; proc_ptrace_resume() lets
 * them run. Whatever the threads report in between (a signal on its way to
 * them, a stop asked for by the user, a new thread, an exit) is handled so
 * that the process behaves as if nobody were tracing it: signals are passed
 * on, never swallowed; a process stopped with SIGSTOP or Ctrl-Z stays
 * stopped; nothing is left stopped that would otherwise run.
 *
 * The tracer learns of stops by SIGCHLD: the caller must catch it (a
 * handler installed without SA_NOCLDSTOP) and call proc_ptrace_poll() when
 * it arrives. The tracer's waits also collect the exit of a traced process
 * that is its own child: it is kept in exited/exit_status, and whoever
 * would have waited for that child must look there instead.
 *
 * If pyrometer dies without detaching (SIGKILL, a crash), the kernel
 * detaches every thread and wakes those that were stopped.
 */
#ifndef PYRO_PROC_PTRACE_H
#define PYRO_PROC_PTRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_ptrace_thread {
	pid_t tid;
	enum {
		PTRACE_T_RUNNING,     /* attached and let run */
		PTRACE_T_INTERRUPTED, /* PTRACE_INTERRUPT sent, its stop not yet seen */
		PTRACE_T_STOPPED,     /* in a ptrace-stop: ours to resume */
		PTRACE_T_LISTENING,   /* in a group-stop (SIGSTOP, Ctrl-Z): left stopped */
	} state;
	int group;              /* STOPPED: the stop is a group-stop, resume with PTRACE_LISTEN */
	int sig;                /* STOPPED: the signal it was about to receive, passed on at resume */
	int late;               /* INTERRUPTED: missed a deadline to stop, so is not waited for again */
};

struct proc_ptrace {
	pid_t pid;
	struct proc_ptrace_thread *threads;   /* owned; unordered */
	size_t nthreads, cap_threads;
	int holding;            /* between proc_ptrace_stop() and proc_ptrace_resume() */
	int exited;             /* the main thread's exit was collected */
	int exit_status;        /* its wait status, when exited */
	uint64_t late_stops;    /* threads that did not stop in time */
};

/* Attach to every thread of pid, leaving each running. Returns 0, or
 * negative with a message saying what to change (another tracer, the
 * owner, CAP_SYS_PTRACE, kernel.yama.ptrace_scope); nothing stays attached
 * on failure. */
int proc_ptrace_seize(struct proc_ptrace *pt, pid_t pid);

/* Handle every stop and exit reported so far, without waiting: resume what
 * stopped on its own (passing a signal on), keep group-stops, forget threads
 * that exited. Returns 0, or negative if a new thread could not be tracked
 * (it is let run anyway). */
int proc_ptrace_poll(struct proc_ptrace *pt);

/* Stop every thread and wait until each has (at most 100 ms; a thread that
 * cannot stop, e.g. in uninterruptible sleep, runs no user code meanwhile
 * and is counted in late_stops). Returns 0 with the process held until
 * proc_ptrace_resume(), which must follow in every case; -ESRCH when no
 * thread is left; other negative errors with a message. */
int proc_ptrace_stop(struct proc_ptrace *pt);

/* Let every thread stopped by proc_ptrace_stop() run again, each with the
 * signal it stopped for. Threads found dead are left for proc_ptrace_poll(). */
void proc_ptrace_resume(struct proc_ptrace *pt);

/* Detach from every thread, leaving it as it would be untraced (running, or
 * group-stopped), and free what pt owns; exited and exit_status stay valid.
 * Returns how many threads could not be stopped to be detached within a
 * second: the kernel detaches those when pyrometer exits. */
size_t proc_ptrace_detach(struct proc_ptrace *pt);

#endif
