/*
 * sampler.h - record a profile of a running or launched CPython process.
 *
 * The loop samples every thread on absolute deadlines (clock_nanosleep with
 * TIMER_ABSTIME: no busy-waiting, no drift; -r max instead rests after each
 * sample as long as it took), weights each sample by the real time since the
 * previous one, and streams everything through the .pyro writer, flushing at
 * least once a second. It never writes to the target, and pauses it only
 * when asked to (blocking), for the time of each sample.
 */
#ifndef PYRO_SAMPLER_SAMPLER_H
#define PYRO_SAMPLER_SAMPLER_H

#include "profile/profile.h"

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#define SAMPLER_MAX_RATE 100000

enum sampler_mode { SAMPLER_WALL = 0, SAMPLER_CPU = 1, SAMPLER_GIL = 2 };

/* Which samples a mode records (docs/CLI.md, "Modes and idle threads"):
 * a thread is active in wall mode unless it is idle (asleep on anything
 * but the GIL, in a disk wait, stopped), in cpu mode when it used CPU since
 * the last round, in gil mode when it holds the GIL. Inactive threads are
 * recorded too when idle is on (the default in wall mode only), weighted
 * by wall time, with their state in each sample. */
enum sampler_idle { SAMPLER_IDLE_DEFAULT = -1, SAMPLER_NO_IDLE = 0, SAMPLER_IDLE = 1 };

struct sampler_opts {
	pid_t pid;              /* attach to this, or 0 to launch argv */
	char **argv;            /* borrowed; NULL-terminated */
	unsigned rate_hz;       /* 0: as fast as the machine allows (record -r max) */
	double duration_s;      /* 0: until the target exits or a signal */
	int mode;               /* enum sampler_mode */
	int idle;               /* enum sampler_idle */
	const char *output;     /* NULL: pyrometer-<pid>.pyro */
	int status_line;        /* draw a status line on stderr */
	int blocking;           /* stop the target's threads for each sample (ptrace) */
	int subprocesses;       /* follow the target's descendants and sample the Python ones */
	/* Called once recording ends, before the end chunk, with the writer and
	 * the recording's start (Unix ns): record --memory merges the agent's
	 * file there. A failure is reported but the profile is still closed. */
	int (*before_close)(struct pyro_writer *w, uint64_t start_real_ns, void *arg);
	void *before_close_arg;
};

struct sampler_result {
	pid_t pid;
	int child_exit;         /* launched target's exit code, or -1 */
	uint64_t ticks;         /* sampling rounds */
	uint64_t samples;       /* thread stacks recorded */
	uint64_t errors;        /* torn or unreadable thread stacks */
	uint64_t late;          /* deadlines missed */
	uint64_t saturated;     /* rounds whose sample took longer than the interval */
	uint64_t duration_ns;
	double rate_hz;         /* achieved: rounds per second */
	uint64_t loop_cpu_ns;   /* CPU the sampling loop itself used */
	char output[PATH_MAX];
};

/* Record. Returns 0 when a profile was written (the target may have exited
 * or been launched and finished), or negative with a message. In launch
 * mode *res->child_exit is valid whenever the child was started, even on
 * failure. */
int sampler_record(const struct sampler_opts *o, struct sampler_result *res);

#endif
