/*
 * sampler.c - the sampling loop.
 *
 * Signals: SIGINT or SIGTERM ends an attach-mode recording; the target keeps
 * running. In launch mode the child decides: a Ctrl-C from the terminal
 * reaches it directly, a signal sent to pyrometer alone is forwarded, and
 * recording goes on until the child exits (a third signal stops at once).
 *
 * Blocking mode (--blocking) traces every thread of the target and holds
 * them all stopped while each sample is taken. A signal never cuts a
 * sample short: the loop lets the threads run again before it looks at the
 * flags the handlers set, and every way out of sampler_record() detaches.
 * SIGCHLD then also reports the threads' stops, which are seen to (a
 * signal passed on, a new thread let run) as soon as they arrive.
 */
#include "sampler/sampler.h"
#include "cpython/activity.h"
#include "cpython/objects.h"
#include "cpython/target.h"
#include "proc/fs.h"
#include "proc/launch.h"
#include "proc/ptrace.h"
#include "proc/task.h"
#include "profile/profile.h"
#include "util/err.h"
#include "util/hash.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FLUSH_NS 1000000000ull
#define STATUS_NS 200000000ull
#define LAUNCH_POLL_NS 1000000ull
#define NAMES_NS 50000000ull     /* read new threads' names at most this often */
#define SCAN_NS 10000000ull      /* --subprocesses: look for new children this often */
#define PENDING_NS 2000000000ull /* and wait this long for a new one to become Python */

static volatile sig_atomic_t got_signals;
static volatile sig_atomic_t last_signal;
static volatile sig_atomic_t signal_from_tty;
static volatile sig_atomic_t child_changed;

static void on_stop(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	got_signals++;
	last_signal = sig;
	signal_from_tty = si && si->si_code == SI_KERNEL;
}

static void on_child(int sig)
{
	(void)sig;
	child_changed = 1;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t deadline)
{
	struct timespec ts = { (time_t)(deadline / 1000000000ull), (long)(deadline % 1000000000ull) };

	/* EINTR: a signal arrived; the loop checks why. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* A thread seen by the sampler: its profile id and its stat file. */
struct tracked_thread {
	uint64_t native_id;
	uint64_t thread_id;     /* pthread_t: what Python's thread names are keyed by */
	pid_t pid;              /* its process */
	uint32_t writer_id;
	/* CPU mode: one clock per OS thread. Several thread states can name one
	 * OS thread (one per interpreter it entered, or a new thread's state
	 * still holding its creator's id); the first tracked for it owns the
	 * clock and the others read through it, so its CPU time is counted
	 * once per sample, for the first of them in the walk (sub-interpreters
	 * are listed first: the innermost, running one). */
	uint32_t clock_owner;   /* index into recorder.threads: itself or the owner */
	int stat_fd;            /* -1 until opened */
	enum { CLOCK_PERF = 1, CLOCK_SCHEDSTAT, CLOCK_STATE } clock; /* what stat_fd is */
	uint64_t oncpu_ns;      /* on-CPU time at the previous read */
	uint64_t read_at;       /* sample time + 1 of the last read */
	/* The previous sample's stack, root first: frame ids and the stack id
	 * each prefix interned to. Callers rarely change between samples, so
	 * the common prefix is reused without interning it again. */
	uint32_t *prev_frames;  /* owned */
	uint32_t *prev_stacks;  /* owned */
	size_t prev_depth, prev_cap;
	int act_stat_fd;        /* its stat and syscall files, for its activity; -1 until opened */
	int act_syscall_fd;
	uint64_t times_ns[PYRO_TIMES]; /* what it was doing, over every round (enum pyro_time) */
};

#define FRAME_MEMO 1024 /* power of two */

/* A process sampled, or watched for children (--subprocesses): the
 * target's root first, then its descendants as they appear. */
struct source {
	pid_t pid, ppid;
	enum {
		SRC_PENDING = 0,  /* not (yet) a Python process: tried at each scan until pending_until */
		SRC_PYTHON,       /* attached: sampled every round */
		SRC_OTHER,        /* not Python: only its children are followed, until it execs */
		SRC_GONE,
	} state;
	uint64_t seen_at;             /* when it was found, or found to have exec'd */
	uint64_t pending_until;
	uint64_t starttime, startcode, startstack; /* /proc/PID/stat: which process, which exec */
	int attached;                 /* target holds an attachment */
	int sample_ok;                /* this round's sample was taken */
	struct cpy_target target;
	struct cpy_sample sample;
	struct cpy_objects objects;   /* for Python thread names; valid when has_objects */
	int has_objects, objects_tried;
	struct pyro_hash thread_ix;   /* thread_key() -> index into recorder.threads */
	struct pyro_hash clock_ix;    /* kernel tid -> index of the thread owning its clock */
	struct pyro_hash frame_ids;   /* (code id, line) -> frame id: code ids are the target's */
	struct {
		uint64_t key;
		uint32_t id;
	} frame_memo[FRAME_MEMO];     /* direct-mapped front of frame_ids */
};

struct recorder {
	const struct sampler_opts *o;
	struct sampler_result *res;
	struct source **src;          /* owned; src[0] is the target */
	size_t nsrc, cap_src;
	struct cpy_target *target;    /* &src[0]->target */
	struct pyro_writer writer;
	struct tracked_thread *threads;
	size_t nthreads, cap_threads;
	uint64_t next_scan;           /* --subprocesses: when to look for new children */
	int new_threads;              /* threads seen since names were last read */
	uint32_t gc_frame;            /* "(garbage collection)", once used; else PYRO_NO_ID */
	uint64_t next_names;          /* and not before this */
	uint32_t *stack_scratch;
	struct proc_ptrace pt;        /* blocking mode: the target's threads */
	uint64_t t0, t0_real;
	int attached, writer_open;
	int traced;                   /* pt holds the target's threads */
	int debug;                    /* PYROMETER_DEBUG: time the walk, print counters */
	uint64_t walk_cpu_ns;
	uint64_t launch_polls;        /* attempts to attach to a launched child */
	uint64_t taking_ns;           /* wall time taking samples (blocking: the target held) */
};

/* A thread is its OS thread within one interpreter: the same OS thread
 * running code in two interpreters is two threads of the profile. Keys: the
 * kernel tid (< 2^22) with the interpreter above it, or, where the tid is
 * unknown, the pthread_t (a 47-bit address) with the interpreter above it. */
static uint64_t thread_key(const struct cpy_thread *th)
{
	uint64_t interp = (uint64_t)th->interp_id & 0x7fff;

	if (th->native_id)
		return 1ull << 63 | interp << 32 | (th->native_id & 0xffffffffu);
	return interp << 48 | (th->thread_id & 0xffffffffffffull) | 1;
}

static struct tracked_thread *thread_for(struct recorder *r, struct source *src, const struct cpy_thread *th)
{
	uint64_t idx, key = thread_key(th), native_id = th->native_id;
	struct pyro_thread pt;
	struct tracked_thread *t;

	if (pyro_hash_get(&src->thread_ix, key, &idx))
		return &r->threads[idx];
	if (r->nthreads == r->cap_threads) {
		size_t ncap = r->cap_threads ? r->cap_threads * 2 : 16;
		struct tracked_thread *nv = realloc(r->threads, ncap * sizeof(*nv));

		if (!nv)
			return NULL;
		r->threads = nv;
		r->cap_threads = ncap;
	}
	memset(&pt, 0, sizeof(pt));
	pt.native_id = native_id;
	pt.thread_id = th->thread_id;
	pt.interp = th->interp_id;
	pt.name = PYRO_NO_ID;
	pt.pid = src == r->src[0] ? 0 : (uint64_t)src->pid;
	t = &r->threads[r->nthreads];
	memset(t, 0, sizeof(*t));
	t->native_id = native_id;
	t->thread_id = th->thread_id;
	t->pid = src->pid;
	t->stat_fd = -1;
	t->act_stat_fd = -1;
	t->act_syscall_fd = -1;
	t->clock_owner = (uint32_t)r->nthreads;
	if (native_id && pyro_hash_get(&src->clock_ix, native_id, &idx))
		t->clock_owner = (uint32_t)idx;
	else if (native_id && pyro_hash_put(&src->clock_ix, native_id, r->nthreads) < 0)
		return NULL;
	t->writer_id = pyro_writer_thread(&r->writer, &pt);
	r->new_threads = 1;
	if (t->writer_id == PYRO_NO_ID || pyro_hash_put(&src->thread_ix, key, r->nthreads) < 0)
		return NULL;
	return &r->threads[r->nthreads++];
}

/* CPU mode: the CPU time the thread used since the previous sample, which
 * becomes the sample's weight (0: it did not run, no sample). The clock is,
 * best first: a perf task-clock counter (exact), schedstat's nanosecond
 * counter (exact in total, but it moves only at scheduler ticks and context
 * switches, so single samples are coarse), or the scheduler state ('R' also
 * covers runnable-but-waiting, so it over-counts on a busy machine). The
 * first sample of a thread only sets the baseline. t is the clock's owner;
 * a clock already read in this sample gives 0. */
static uint64_t cpu_weight(struct tracked_thread *t, uint64_t interval, uint64_t t_ns)
{
	struct proc_task_stat st;
	uint64_t now, d;
	int rc;

	if (!t->native_id)
		return 0; /* its kernel thread is unknown: no clock to read */
	if (t->read_at == t_ns + 1)
		return 0;
	t->read_at = t_ns + 1;
	if (t->stat_fd < 0) {
		t->clock = CLOCK_PERF;
		t->stat_fd = proc_task_open_clock((pid_t)t->native_id);
		if (t->stat_fd < 0) {
			t->clock = CLOCK_SCHEDSTAT;
			t->stat_fd = proc_task_open(t->pid, (pid_t)t->native_id, "schedstat");
		}
		if (t->stat_fd < 0) {
			t->clock = CLOCK_STATE;
			t->stat_fd = proc_task_open(t->pid, (pid_t)t->native_id, "stat");
		}
		if (t->stat_fd < 0 || t->clock == CLOCK_STATE)
			return 0;
		if (t->clock == CLOCK_PERF)
			proc_task_read_clock(t->stat_fd, &t->oncpu_ns);
		else
			proc_task_read_oncpu(t->stat_fd, &t->oncpu_ns);
		return 0; /* baseline only */
	}
	if (t->clock == CLOCK_STATE)
		return proc_task_read(t->stat_fd, &st) == 0 && st.state == 'R' ? interval : 0;
	rc = t->clock == CLOCK_PERF ? proc_task_read_clock(t->stat_fd, &now) : proc_task_read_oncpu(t->stat_fd, &now);
	if (rc < 0)
		return 0;
	d = now - t->oncpu_ns;
	t->oncpu_ns = now;
	return d;
}

static uint32_t frame_id(struct recorder *r, struct source *src, const struct cpy_frame *f)
{
	uint64_t key = ((uint64_t)f->code->id << 32 | (uint32_t)f->line) + 1, id;
	size_t m = (size_t)(f->code->id * 31u + (uint32_t)f->line) & (FRAME_MEMO - 1);
	struct pyro_frame pf;

	if (src->frame_memo[m].key == key)
		return src->frame_memo[m].id;
	if (pyro_hash_get(&src->frame_ids, key, &id)) {
		src->frame_memo[m].key = key;
		src->frame_memo[m].id = (uint32_t)id;
		return (uint32_t)id;
	}
	memset(&pf, 0, sizeof(pf));
	pf.name = pyro_writer_string(&r->writer, f->code->qualname, strlen(f->code->qualname));
	pf.file = pyro_writer_string(&r->writer, f->code->filename, strlen(f->code->filename));
	pf.first_line = f->code->firstlineno;
	pf.line = f->line;
	pf.kind = PYRO_FRAME_PYTHON;
	id = pyro_writer_frame(&r->writer, &pf);
	if (id != PYRO_NO_ID && pyro_hash_put(&src->frame_ids, key, id) < 0)
		return PYRO_NO_ID;
	return (uint32_t)id;
}

/* The frame put on top of a thread's stack while it collects garbage. */
static uint32_t gc_frame(struct recorder *r)
{
	static const char name[] = "(garbage collection)", file[] = "<gc>";
	struct pyro_frame pf;

	if (r->gc_frame != PYRO_NO_ID)
		return r->gc_frame;
	memset(&pf, 0, sizeof(pf));
	pf.name = pyro_writer_string(&r->writer, name, sizeof(name) - 1);
	pf.file = pyro_writer_string(&r->writer, file, sizeof(file) - 1);
	pf.kind = PYRO_FRAME_NATIVE; /* lines 0: not source */
	r->gc_frame = pyro_writer_frame(&r->writer, &pf);
	return r->gc_frame;
}

_Static_assert((int)CPY_ACT_STOPPED == (int)PYRO_ACT_STOPPED && (int)CPY_ACT_GIL_WAIT == (int)PYRO_ACT_GIL_WAIT,
	       "the sampler writes cpy_activity values as pyro_activity");

static int is_idle(enum cpy_activity a)
{
	return a == CPY_ACT_SLEEPING || a == CPY_ACT_DISK || a == CPY_ACT_STOPPED;
}

/* Add a round to a thread's times by what it was doing. */
static void count_time(struct tracked_thread *tt, const struct cpy_thread *th, enum cpy_activity act,
		       uint64_t wall)
{
	int gil = th->gil;

	tt->times_ns[PYRO_TIME_OBSERVED] += wall;
	/* Awake with nothing to show: a thread before its first line (waiting
	 * for the GIL, say), after its last, or in native code alone. */
	if (!th->torn && th->depth == 0 && !is_idle(act))
		tt->times_ns[PYRO_TIME_NO_PYTHON] += wall;
	if (act == CPY_ACT_RUNNING)
		tt->times_ns[PYRO_TIME_RUNNING] += wall;
	else if (act == CPY_ACT_GIL_WAIT)
		tt->times_ns[PYRO_TIME_GIL_WAIT] += wall;
	else if (is_idle(act))
		tt->times_ns[PYRO_TIME_IDLE] += wall;
	if (gil == 1)
		tt->times_ns[PYRO_TIME_GIL_HELD] += wall;
}

/* Record every thread of one process's sample. */
static int record_sample(struct recorder *r, struct source *src, uint64_t t_ns, uint64_t wall_weight)
{
	uint64_t weight = wall_weight;
	struct cpy_sample *s = &src->sample;
	int idle = r->o->idle == SAMPLER_IDLE_DEFAULT ? r->o->mode == SAMPLER_WALL : r->o->idle;
	size_t i;

	for (i = 0; i < s->nthreads; i++) {
		const struct cpy_thread *th = &s->threads[i];
		struct tracked_thread *tt;
		struct pyro_sample ps;
		uint32_t stack = PYRO_NO_ID;
		enum cpy_activity act = CPY_ACT_UNKNOWN;
		uint64_t known;
		int64_t k;
		int active;

		/* A torn walk may have read a thread state being freed: its ids
		 * are not to be trusted with a new profile thread. */
		if (th->torn && !pyro_hash_get(&src->thread_ix, thread_key(th), &known)) {
			r->res->errors++;
			continue;
		}
		tt = thread_for(r, src, th);
		if (!tt)
			return pyro_err_set(ENOMEM, "out of memory tracking threads");
		/* Held stopped for the sample, a traced thread reads as 't':
		 * in blocking mode only the GIL is known. */
		if (!r->traced) {
			act = cpy_thread_activity_fds(src->pid, th, &tt->act_stat_fd, &tt->act_syscall_fd);
			/* Not a thread of this process: a forked child's copy of a
			 * thread state of its parent's, until the child clears it
			 * (or a thread that has just exited). */
			if (th->native_id && tt->act_stat_fd < 0)
				continue;
		}
		count_time(tt, th, act, wall_weight);
		/* CPU mode reads every thread's clock, even one whose stack is
		 * dropped, so its CPU time is not pinned on a later sample. */
		weight = wall_weight;
		if (r->o->mode == SAMPLER_CPU) {
			weight = cpu_weight(&r->threads[tt->clock_owner], wall_weight, t_ns);
			active = weight > 0;
		} else if (r->o->mode == SAMPLER_GIL) {
			active = th->gil == 1;
		} else {
			active = !is_idle(act);
		}
		if (th->torn) {
			r->res->errors++;
			continue;
		}
		if (th->depth == 0)
			continue; /* no Python frames right now */
		if (!active) {
			if (!idle)
				continue;
			weight = wall_weight;
		}
		if (th->depth > tt->prev_cap) {
			size_t cap = th->depth * 2;
			uint32_t *nf = realloc(tt->prev_frames, cap * sizeof(*nf));

			if (!nf)
				return -ENOMEM;
			tt->prev_frames = nf;
			nf = realloc(tt->prev_stacks, cap * sizeof(*nf));
			if (!nf)
				return -ENOMEM;
			tt->prev_stacks = nf;
			tt->prev_cap = cap;
		}
		{
			size_t depth = 0;
			int same = 1;

			for (k = (int64_t)(th->first + th->depth) - 1; k >= (int64_t)th->first; k--, depth++) {
				uint32_t f = frame_id(r, src, &s->frames[k]);

				if (f == PYRO_NO_ID)
					return -ENOMEM;
				same = same && depth < tt->prev_depth && tt->prev_frames[depth] == f;
				if (same) {
					stack = tt->prev_stacks[depth];
					continue;
				}
				stack = pyro_writer_stack(&r->writer, stack, f);
				if (stack == PYRO_NO_ID)
					return -ENOMEM;
				tt->prev_frames[depth] = f;
				tt->prev_stacks[depth] = stack;
			}
			tt->prev_depth = depth;
		}
		if (th->in_gc) {
			uint32_t f = gc_frame(r);

			if (f == PYRO_NO_ID || (stack = pyro_writer_stack(&r->writer, stack, f)) == PYRO_NO_ID)
				return -ENOMEM;
		}
		ps.thread = tt->writer_id;
		ps.stack = stack;
		ps.time_ns = t_ns;
		ps.weight_ns = weight;
		ps.state = PYRO_STATE(act, th->gil < 0 ? PYRO_GIL_UNKNOWN : th->gil ? PYRO_GIL_HELD : PYRO_GIL_NOT_HELD);
		pyro_writer_sample(&r->writer, &ps);
		r->res->samples++;
	}
	return 0;
}

/* Name the threads of one process from its threading module (looked at
 * when threads appear, at most every NAMES_NS, and at each flush: a thread
 * that lives less may go unnamed). */
static void name_threads(struct recorder *r, struct source *src)
{
	struct cpy_thread_name *names = NULL;
	size_t n = 0, i, k;

	if (!src->has_objects) {
		if (src->objects_tried)
			return;
		src->objects_tried = 1;
		if (cpy_objects_init(&src->objects, &src->target) < 0) {
			pyro_err_clear();
			return;
		}
		src->has_objects = 1;
	}
	cpy_objects_refresh(&src->objects);
	if (cpy_thread_names(&src->objects, &names, &n) < 0) {
		free(names);
		return;
	}
	for (i = 0; i < r->nthreads; i++) {
		struct tracked_thread *t = &r->threads[i];

		if (t->pid != src->pid)
			continue;
		for (k = 0; k < n && names[k].ident != t->thread_id; k++)
			;
		if (k < n)
			pyro_writer_thread_update(&r->writer, t->writer_id,
						  pyro_writer_string(&r->writer, names[k].name, strlen(names[k].name)), NULL);
	}
	free(names);
}

/* Hand the threads' names and times to the writer, for its next flush. */
static void update_threads(struct recorder *r)
{
	size_t i;

	for (i = 0; i < r->nsrc; i++)
		if (r->src[i]->state == SRC_PYTHON && r->src[i]->attached)
			name_threads(r, r->src[i]);
	r->new_threads = 0;
	for (i = 0; i < r->nthreads; i++)
		pyro_writer_thread_update(&r->writer, r->threads[i].writer_id, PYRO_NO_ID, r->threads[i].times_ns);
}

static void status(struct recorder *r, uint64_t elapsed, int final)
{
	double secs = (double)elapsed / 1e9;

	if (final) {
		fputs("\r\033[K", stderr);
		return;
	}
	fprintf(stderr, "\r\033[Kpyrometer: pid %d  %.1fs  %llu samples  %.0f Hz  %llu errors", (int)r->target->pid,
		secs, (unsigned long long)r->res->ticks, secs > 0 ? (double)r->res->ticks / secs : 0.0,
		(unsigned long long)r->res->errors);
	fflush(stderr);
}

static void install_signals(int blocking)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_stop;
	sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: a sleep ends early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_child;
	/* Traced threads report their stops by SIGCHLD too (ptrace.h). */
	sa.sa_flags = blocking ? 0 : SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
}

/* See to what children reported: in blocking mode, the traced threads'
 * stops; in launch mode, the child's exit. Returns 1 when the launched
 * child has exited. A traced child's exit is collected by the tracer's
 * waits (which would also take its stops for exits here), so it is looked
 * for there. */
static int reap(struct recorder *r)
{
	int st;

	child_changed = 0;
	if (r->traced)
		proc_ptrace_poll(&r->pt);
	if (r->o->pid || r->res->child_exit >= 0)
		return r->res->child_exit >= 0;
	if (r->pt.exited)
		st = r->pt.exit_status;
	else if (r->traced || waitpid(r->res->pid, &st, WNOHANG) <= 0)
		return 0;
	r->res->child_exit = proc_exit_code(st);
	return 1;
}

static struct source *source_new(struct recorder *r, pid_t pid, pid_t ppid)
{
	struct source *src;

	if (pyro_array_grow((void **)&r->src, &r->cap_src, r->nsrc + 1, sizeof(*r->src), SIZE_MAX) < 0 ||
	    !(src = calloc(1, sizeof(*src))))
		return NULL;
	src->pid = pid;
	src->ppid = ppid;
	r->src[r->nsrc++] = src;
	return src;
}

static void source_detach(struct source *src)
{
	if (src->has_objects)
		cpy_objects_release(&src->objects);
	src->has_objects = src->objects_tried = 0;
	if (src->attached)
		cpy_target_release(&src->target);
	src->attached = 0;
	cpy_sample_release(&src->sample);
	/* Code ids and thread keys were the old program's. */
	pyro_hash_release(&src->thread_ix);
	pyro_hash_release(&src->clock_ix);
	pyro_hash_release(&src->frame_ids);
	memset(src->frame_memo, 0, sizeof(src->frame_memo));
}

static void source_free(struct source *src)
{
	source_detach(src);
	free(src);
}

/* Write a newly attached child to the profile's processes. */
static void announce(struct recorder *r, struct source *src)
{
	struct pyro_process pr;
	uint32_t args[64];
	char path[64], *cmdline = NULL;
	size_t len = 0, i;

	memset(&pr, 0, sizeof(pr));
	pr.pid = (uint64_t)src->pid;
	pr.ppid = (uint64_t)src->ppid;
	pr.version = pyro_writer_string(&r->writer, src->target.version, strlen(src->target.version));
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)src->pid);
	if (proc_fs_slurp(path, 1u << 16, &cmdline, &len) == 0)
		for (i = 0; i < len && pr.argc < sizeof(args) / sizeof(args[0]); i += strlen(cmdline + i) + 1)
			args[pr.argc++] = pyro_writer_string(&r->writer, cmdline + i, strlen(cmdline + i));
	else
		pyro_err_clear();
	free(cmdline);
	pr.argv = args;
	pyro_writer_process(&r->writer, &pr);
	if (r->debug)
		fprintf(stderr, "pyrometer: debug: joined pid %d (child of %d), Python %s\n", (int)src->pid,
			(int)src->ppid, src->target.version);
}

/* --subprocesses: see to the known descendants (gone? exec'd? Python
 * yet?) and add their new children. The list grows while it is walked,
 * so grandchildren are found in the same scan. */
static int scan_family(struct recorder *r, uint64_t now)
{
	pid_t *kids = NULL;
	size_t nkids, cap = 0, i, j, k;
	int rc = 0;

	for (i = 0; i < r->nsrc; i++) {
		struct source *src = r->src[i];
		struct proc_task_stat st;

		if (src->state == SRC_GONE)
			continue;
		if (i > 0) {
			if (proc_stat_read(src->pid, &st) < 0 || st.starttime != src->starttime) {
				source_detach(src);
				src->state = SRC_GONE;
				continue;
			}
			if (st.startcode != src->startcode || st.startstack != src->startstack) {
				/* It ran execve: another program in the same pid. */
				source_detach(src);
				src->startcode = st.startcode;
				src->startstack = st.startstack;
				src->state = SRC_PENDING;
				src->seen_at = now;
				src->pending_until = now + PENDING_NS;
			}
			/* A child forked to run another program (subprocess) is a
			 * copy of its parent until it execs, within a millisecond or
			 * so: one that keeps its program for a whole scan is joined. */
			if (src->state == SRC_PENDING && now - src->seen_at >= SCAN_NS) {
				int arc = cpy_attach(&src->target, src->pid, 1);

				pyro_err_clear();
				if (arc == 0) {
					src->attached = 1;
					src->state = SRC_PYTHON;
					announce(r, src);
				} else if (arc == -ESRCH) {
					src->state = SRC_GONE;
					continue;
				} else if (now >= src->pending_until) {
					src->state = SRC_OTHER; /* followed for its children only */
				}
			}
		}
		nkids = 0;
		rc = proc_task_children(src->pid, &kids, &nkids, &cap);
		if (rc == -ENOMEM)
			break;
		rc = 0;
		for (k = 0; k < nkids; k++) {
			struct source *kid;

			for (j = 1; j < r->nsrc && (r->src[j]->pid != kids[k] || r->src[j]->state == SRC_GONE); j++)
				;
			if (j < r->nsrc || proc_stat_read(kids[k], &st) < 0)
				continue;
			if (!(kid = source_new(r, kids[k], src->pid))) {
				rc = -ENOMEM;
				break;
			}
			kid->starttime = st.starttime;
			kid->startcode = st.startcode;
			kid->startstack = st.startstack;
			kid->seen_at = now;
			kid->pending_until = now + PENDING_NS;
		}
		if (rc < 0)
			break;
	}
	free(kids);
	return rc < 0 ? pyro_err_set(ENOMEM, "out of memory following subprocesses") : 0;
}

/* Sample every attached child; a child that fails to read is checked for
 * an exec at the next scan, which is brought forward. */
static void sample_children(struct recorder *r)
{
	size_t i;

	for (i = 1; i < r->nsrc; i++) {
		struct source *src = r->src[i];
		int rc;

		if (src->state != SRC_PYTHON)
			continue;
		rc = cpy_sample(&src->target, &src->sample);
		src->sample_ok = rc == 0;
		if (rc == -ESRCH) {
			source_detach(src);
			src->state = SRC_GONE;
		} else if (rc < 0) {
			pyro_err_clear();
			r->res->errors++;
			r->next_scan = 0;
		}
	}
}

static int record_children(struct recorder *r, uint64_t t_ns, uint64_t wall_weight)
{
	size_t i;
	int rc = 0;

	for (i = 1; i < r->nsrc && rc == 0; i++)
		if (r->src[i]->state == SRC_PYTHON && r->src[i]->sample_ok)
			rc = record_sample(r, r->src[i], t_ns, wall_weight);
	return rc;
}

/* Let the target's threads go, as they would be untraced. */
static void untrace(struct recorder *r)
{
	size_t left;

	if (!r->traced)
		return;
	left = proc_ptrace_detach(&r->pt);
	r->traced = 0;
	if (left)
		fprintf(stderr, "pyrometer: warning: %zu thread%s of pid %d did not stop to be detached (in "
			"uninterruptible sleep?); the kernel detaches them when pyrometer exits\n",
			left, left == 1 ? "" : "s", (int)r->res->pid);
	reap(r);
}

/* One sample of every thread; in blocking mode, with all of them held
 * stopped meanwhile. Returns what cpy_sample() does. */
static int take_sample(struct recorder *r)
{
	uint64_t c0 = 0;
	int rc = 0;

	if (r->traced)
		rc = proc_ptrace_stop(&r->pt);
	if (r->debug)
		c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	if (rc == 0)
		rc = cpy_sample(r->target, &r->src[0]->sample);
	if (r->debug)
		r->walk_cpu_ns += now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	if (r->traced)
		proc_ptrace_resume(&r->pt);
	return rc;
}

/* Launch mode, between attempts to attach: stop if the child exited or we
 * were interrupted, else sleep a little (longer after the first second). */
static int launch_wait(void *arg)
{
	struct recorder *r = arg;

	if (reap(r))
		return pyro_err_set(ENOEXEC, "%s (pid %d) exited with status %d before a Python interpreter "
				    "appeared in it", r->o->argv[0], (int)r->res->pid, r->res->child_exit);
	if (got_signals >= 3)
		return pyro_err_set(EINTR, "interrupted while waiting for Python to start");
	r->launch_polls++;
	sleep_until(now_ns(CLOCK_MONOTONIC) + (r->launch_polls < 1000 ? LAUNCH_POLL_NS : 10 * LAUNCH_POLL_NS));
	return 0;
}

static int open_writer(struct recorder *r)
{
	static char *args[PYRO_MAX_ARGS];
	struct pyro_header h;
	char producer[64], path[64], *cmdline = NULL;
	size_t len = 0, i;
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)r->res->pid);
	if (r->o->output)
		snprintf(r->res->output, sizeof(r->res->output), "%s", r->o->output);
	else
		snprintf(r->res->output, sizeof(r->res->output), "pyrometer-%d.pyro", (int)r->res->pid);
	memset(&h, 0, sizeof(h));
	snprintf(producer, sizeof(producer), "pyrometer %s", PYROMETER_VERSION);
	h.producer = producer;
	h.python_version = r->target->version;
	h.pid = (uint64_t)r->res->pid;
	h.start_ns = r->t0_real;
	h.mode = r->o->mode == SAMPLER_CPU ? PYRO_MODE_CPU : r->o->mode == SAMPLER_GIL ? PYRO_MODE_GIL : PYRO_MODE_WALL;
	h.rate_hz = r->o->rate_hz;
	if (r->o->argv) {
		for (h.argc = 0; r->o->argv[h.argc]; h.argc++)
			;
		h.argv = r->o->argv;
	} else if (proc_fs_slurp(path, 1u << 20, &cmdline, &len) == 0) {
		/* The attached process's own command line: NUL-separated. */
		for (i = 0; i < len && h.argc < PYRO_MAX_ARGS; i += strlen(cmdline + i) + 1)
			args[h.argc++] = cmdline + i;
		h.argv = args;
	} else {
		pyro_err_clear(); /* no command line is no reason to stop */
	}
	rc = pyro_writer_open(&r->writer, r->res->output, &h);
	free(cmdline);
	if (rc == 0)
		r->writer_open = 1;
	return rc;
}

static int sample_loop(struct recorder *r)
{
	const struct sampler_opts *o = r->o;
	uint64_t interval = o->rate_hz ? 1000000000ull / o->rate_hz : 0; /* 0: -r max */
	uint64_t next, prev, last_flush, last_status = 0;
	uint64_t stop_at = o->duration_s > 0 ? r->t0 + (uint64_t)(o->duration_s * 1e9) : 0;
	int forwarded = 0, rc = 0;

	uint64_t cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);

	next = last_flush = now_ns(CLOCK_MONOTONIC);
	/* The first sample stands for one interval (-r max: the shortest). */
	prev = next - (interval ? interval : 1000000000ull / SAMPLER_MAX_RATE);
	for (;;) {
		uint64_t now, taken;

		if (got_signals) {
			if (o->pid || got_signals >= 3)
				break;
			if (!forwarded && !signal_from_tty)
				kill(r->res->pid, last_signal);
			forwarded = 1;
		}
		if (child_changed && reap(r))
			break;

		now = now_ns(CLOCK_MONOTONIC);
		if (stop_at && now >= stop_at)
			break;
		if (now < next) {
			/* Woken early by a signal: see to it above, then sleep on. */
			sleep_until(next);
			continue;
		}
		rc = take_sample(r);
		if (o->subprocesses) {
			if (now >= r->next_scan) {
				int src_rc = scan_family(r, now);

				if (src_rc < 0) {
					rc = src_rc;
					break;
				}
				r->next_scan = now + SCAN_NS;
			}
			sample_children(r);
		}
		taken = now_ns(CLOCK_MONOTONIC) - now;
		r->res->ticks++;
		if (rc == -ESRCH) {
			r->res->ticks--;
			rc = 0;
			if (!o->pid && !reap(r)) {
				/* Gone but not yet reaped: wait for it. */
				next = now + LAUNCH_POLL_NS;
				continue;
			}
			break;
		}
		r->taking_ns += taken;
		if (interval && taken > interval)
			r->res->saturated++;
		if (rc < 0) {
			r->res->errors++;
			rc = 0;
		} else {
			rc = record_sample(r, r->src[0], now - r->t0, now - prev);
			if (rc == 0 && o->subprocesses)
				rc = record_children(r, now - r->t0, now - prev);
			if (rc < 0)
				break;
		}
		prev = now;
		/* New threads are named soon (their Thread object is registered
		 * as they start), not only at the next flush. */
		if (r->new_threads && now >= r->next_names) {
			update_threads(r);
			r->next_names = now + NAMES_NS;
		}
		if (now - last_flush >= FLUSH_NS) {
			update_threads(r);
			rc = pyro_writer_flush(&r->writer);
			if (rc < 0)
				break;
			last_flush = now;
		}
		if (o->status_line && now - last_status >= STATUS_NS) {
			status(r, now - r->t0, 0);
			last_status = now;
		}
		if (!interval) {
			/* -r max: rest as long as the round took, so that the
			 * loop uses at most half a CPU and, blocking, the target
			 * runs at least half the time. */
			uint64_t end = now_ns(CLOCK_MONOTONIC);

			next = end + (end - now);
			continue;
		}
		next += interval;
		now = now_ns(CLOCK_MONOTONIC);
		if (next < now) {
			/* Behind: skip the missed deadlines; the next sample's
			 * weight covers the gap. */
			r->res->late += (now - next) / interval + 1;
			next = now + interval - (now - next) % interval;
		}
	}
	if (o->status_line)
		status(r, 0, 1);
	r->res->duration_ns = now_ns(CLOCK_MONOTONIC) - r->t0;
	r->res->loop_cpu_ns = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	if (r->res->duration_ns)
		r->res->rate_hz = (double)r->res->ticks * 1e9 / (double)r->res->duration_ns;
	if (r->debug)
		fprintf(stderr, "pyrometer: debug: CPU per round: %.2f us in all, %.2f us reading the target; "
			"wall time per sample taken: %.2f us%s; %llu late deadlines, %llu saturated, %llu walks "
			"retried, %llu read at one moment from the guards, %llu reads, %llu code objects decoded, %llu reused\n",
			r->res->ticks ? (double)r->res->loop_cpu_ns / 1e3 / (double)r->res->ticks : 0.0,
			r->res->ticks ? (double)r->walk_cpu_ns / 1e3 / (double)r->res->ticks : 0.0,
			r->res->ticks ? (double)r->taking_ns / 1e3 / (double)r->res->ticks : 0.0,
			r->traced ? ", the target held stopped" : "", (unsigned long long)r->res->late,
			(unsigned long long)r->res->saturated, (unsigned long long)r->target->retries,
			(unsigned long long)r->target->guarded_walks, (unsigned long long)r->target->mem.syscalls,
			(unsigned long long)r->target->codes.decoded, (unsigned long long)r->target->codes.reused);
	if (r->debug && r->traced)
		fprintf(stderr, "pyrometer: debug: %llu thread stops late (a thread silent for 100 ms)\n",
			(unsigned long long)r->pt.late_stops);
	return rc;
}

int sampler_record(const struct sampler_opts *o, struct sampler_result *res)
{
	struct recorder r;
	struct pyro_end end;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(*res));
	res->child_exit = -1;
	r.o = o;
	r.res = res;
	r.gc_frame = PYRO_NO_ID;
	r.debug = getenv("PYROMETER_DEBUG") != NULL;
	got_signals = 0;
	child_changed = 0;
	install_signals(o->blocking);

	if (o->subprocesses && !proc_children_supported())
		return pyro_err_set(ENOTSUP, "--subprocesses needs /proc/PID/task/TID/children, which this kernel "
				    "lacks (built without CONFIG_PROC_CHILDREN)");
	if (o->pid) {
		res->pid = o->pid;
	} else {
		rc = proc_launch(o->argv, &res->pid);
		if (rc < 0)
			return rc;
	}
	if (!source_new(&r, res->pid, 0)) {
		rc = pyro_err_set(ENOMEM, "out of memory");
		goto out;
	}
	r.target = &r.src[0]->target;
	if (o->pid)
		rc = cpy_attach(r.target, o->pid, 0);
	else
		rc = cpy_attach_launched(r.target, r.res->pid, launch_wait, &r);
	if (rc < 0)
		goto out;
	r.attached = 1;
	r.src[0]->attached = 1;
	r.src[0]->state = SRC_PYTHON;
	if (o->mode == SAMPLER_GIL && !cpy_gil_readable(r.target)) {
		rc = pyro_err_set(ENOTSUP, "--mode gil: the GIL of Python %s in pid %d is not readable (%s); "
				  "use --mode cpu", r.target->version, (int)res->pid,
				  r.target->layout.gil.kind == CPY_GIL_SYMBOLS ? "its binary lacks the symbols of ceval.c's GIL"
									   : "this version has no GIL layout");
		goto out;
	}
	if (o->blocking) {
		rc = proc_ptrace_seize(&r.pt, res->pid);
		if (rc < 0) {
			reap(&r); /* letting go may have collected the child's exit */
			goto out;
		}
		r.traced = 1;
		r.target->unguarded = 1; /* a stopped stack cannot move while it is read */
	}
	if (r.debug)
		fprintf(stderr, "pyrometer: debug: Python %s from %s, in %s%s\n", r.target->version,
			r.target->version_source, r.target->binary,
			r.target->from_debug_offsets ? ", layout from _Py_DebugOffsets" : "");
	r.t0 = now_ns(CLOCK_MONOTONIC);
	r.t0_real = now_ns(CLOCK_REALTIME);
	rc = open_writer(&r);
	if (rc < 0)
		goto out;
	rc = sample_loop(&r);
	/* Before the end chunk: the target runs untraced while the file is
	 * finished, and an exit the tracer collected is in it. */
	untrace(&r);
	memset(&end, 0, sizeof(end));
	end.ticks = res->ticks;
	end.errors = res->errors;
	end.saturated = res->saturated;
	end.duration_ns = res->duration_ns;
	end.exit_status = res->child_exit >= 0 ? (uint64_t)res->child_exit + 1 : 0;
	update_threads(&r);
	if (o->before_close && o->before_close(&r.writer, r.t0_real, o->before_close_arg) < 0) {
		pyro_err_print();
		pyro_err_clear();
	}
	{
		int crc = pyro_writer_close(&r.writer, &end);

		if (rc == 0)
			rc = crc;
	}
out:
	untrace(&r);
	if (r.writer_open)
		pyro_writer_release(&r.writer);
	{
		size_t i;

		for (i = 0; i < r.nthreads; i++) {
			if (r.threads[i].stat_fd >= 0)
				close(r.threads[i].stat_fd);
			if (r.threads[i].act_stat_fd >= 0)
				close(r.threads[i].act_stat_fd);
			if (r.threads[i].act_syscall_fd >= 0)
				close(r.threads[i].act_syscall_fd);
			free(r.threads[i].prev_frames);
			free(r.threads[i].prev_stacks);
		}
		for (i = 0; i < r.nsrc; i++)
			source_free(r.src[i]);
		free(r.src);
	}
	free(r.threads);
	return rc;
}
