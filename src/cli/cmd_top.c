/*
 * cmd_top.c - `pyrometer top`: a live view of where a Python process spends
 * its time, refreshed like top(1).
 *
 * Samples the target directly (cpython/target.h) and keeps, per function or
 * per line, self and total samples since start and in one-second buckets
 * of a sliding window. On a terminal it draws full screens on the alternate
 * screen with keys to sort, filter by thread, pause and switch granularity,
 * and puts the terminal back on every way out (q, Ctrl-C, SIGTERM, SIGHUP,
 * the target exiting, an error). Without a terminal it prints a plain
 * table every refresh instead.
 */
#include "cli/commands.h"
#include "cpython/objects.h"
#include "cpython/target.h"
#include "proc/launch.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hash.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define WINDOW_MAX 600
#define TOP_MAX_RATE 10000
/* How long every round may fail to read the target before top gives up. */
#define TOP_FAILING_NS 2000000000ull

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pyrometer top [options] -p PID\n"
		"       pyrometer top [options] -- COMMAND [ARGS...]\n\n"
		"A live view of the functions a Python program spends its time in, refreshed\n"
		"like top(1): self and total share over a sliding window or since start.\n\n"
		"options:\n"
		"  -p, --pid PID         attach to a running process\n"
		"  -r, --rate HZ         samples per second (default 100, at most %d)\n"
		"  -i, --interval SECS   refresh every SECS (default 1)\n"
		"  -w, --window SECS     the sliding window (default 10, at most %d)\n"
		"  -d, --duration SECS   stop after this long (default: until q or the target exits)\n"
		"  -h, --help            this help\n\n"
		"keys: s/t sort by self/total   w window or since start   l lines or functions\n"
		"      ] [ next/previous thread, a all threads   space pause   q quit\n"
		"Without a terminal, a plain table is printed every refresh.\n",
		TOP_MAX_RATE, WINDOW_MAX);
}

/* A function (or a line of one), keyed by its text so that a code object
 * decoded again is still the same row. */
struct row {
	char *name, *file;
	int32_t line;           /* the line, or the function's first line */
	uint64_t self_all, total_all;
	uint32_t *self_b, *total_b; /* owned: per-second buckets of the window */
	uint64_t self_w, total_w;   /* sums over the window, kept current */
	uint32_t seen;              /* the last sample that counted its total */
};

struct top {
	struct cpy_target t;
	struct cpy_sample s;
	struct pyro_hash ix;   /* key -> index into rows */
	struct row *rows;
	size_t nrows, cap;
	unsigned window;       /* seconds */
	unsigned bucket;       /* current bucket index */
	uint64_t samples_all, samples_b[WINDOW_MAX], samples_w;
	uint64_t ticks, errors, thread_samples;
	uint32_t sample_no;
	uint64_t *tids;        /* native ids (or pthread ids) seen, in order */
	uint64_t *idents;      /* and their pthread ids, for their Python names */
	size_t ntids, cap_tids;
	struct cpy_objects objs; /* reads thread names; valid when has_objs */
	int has_objs;
	size_t thread_sel;     /* 0: all, else tids[thread_sel - 1] */
	int by_line, sort_total, since_start, paused, tty;
	size_t *order;         /* scratch for sorting */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_key(const struct cpy_thread *th)
{
	return th->native_id ? th->native_id : th->thread_id;
}

static int note_thread(struct top *tp, const struct cpy_thread *th)
{
	uint64_t key = thread_key(th);
	size_t i;

	for (i = 0; i < tp->ntids; i++)
		if (tp->tids[i] == key)
			return 0;
	if (tp->ntids == tp->cap_tids) {
		size_t ncap = tp->cap_tids ? tp->cap_tids * 2 : 16, cap = tp->cap_tids;

		if (pyro_array_grow((void **)&tp->tids, &cap, ncap, sizeof(*tp->tids), SIZE_MAX) < 0)
			return -ENOMEM;
		cap = tp->cap_tids;
		if (pyro_array_grow((void **)&tp->idents, &cap, ncap, sizeof(*tp->idents), SIZE_MAX) < 0)
			return -ENOMEM;
		tp->cap_tids = ncap;
	}
	tp->idents[tp->ntids] = th->thread_id;
	tp->tids[tp->ntids++] = key;
	return 0;
}

/* The Python name of the thread with pthread id ident, into buf ("" if
 * it cannot be read). Read at each redraw of a selected thread. */
static void python_name(struct top *tp, uint64_t ident, char *buf, size_t n)
{
	struct cpy_thread_name *names = NULL;
	size_t count = 0, i;

	buf[0] = '\0';
	if (!tp->has_objs) {
		if (cpy_objects_init(&tp->objs, &tp->t) < 0) {
			pyro_err_clear();
			return;
		}
		tp->has_objs = 1;
	}
	cpy_objects_refresh(&tp->objs);
	if (cpy_thread_names(&tp->objs, &names, &count) == 0)
		for (i = 0; i < count; i++)
			if (names[i].ident == ident)
				snprintf(buf, n, "\"%s\" ", names[i].name);
	free(names);
}

static struct row *row_for(struct top *tp, const struct cpy_frame *f)
{
	int32_t line = tp->by_line ? f->line : f->code->firstlineno;
	size_t nl = strlen(f->code->qualname), fl = strlen(f->code->filename);
	uint64_t key = pyro_hash_bytes(f->code->qualname, nl) ^ pyro_hash_mix(pyro_hash_bytes(f->code->filename, fl)) ^
		       pyro_hash_mix((uint64_t)(uint32_t)line * 0x9e3779b97f4a7c15ull + 1), idx;
	struct row *r;

	if (pyro_hash_get(&tp->ix, key, &idx))
		return &tp->rows[idx];
	if (tp->nrows == tp->cap) {
		size_t ncap = tp->cap ? tp->cap * 2 : 256;
		struct row *nv = realloc(tp->rows, ncap * sizeof(*nv));
		size_t *no = realloc(tp->order, ncap * sizeof(*no));

		if (no)
			tp->order = no;
		if (!nv || !no) {
			if (nv)
				tp->rows = nv;
			return NULL;
		}
		tp->rows = nv;
		tp->cap = ncap;
	}
	r = &tp->rows[tp->nrows];
	memset(r, 0, sizeof(*r));
	r->name = strdup(f->code->qualname);
	r->file = strdup(f->code->filename);
	r->line = line;
	r->self_b = calloc(WINDOW_MAX, sizeof(*r->self_b));
	r->total_b = calloc(WINDOW_MAX, sizeof(*r->total_b));
	if (!r->name || !r->file || !r->self_b || !r->total_b || pyro_hash_put(&tp->ix, key, tp->nrows) < 0) {
		free(r->name);
		free(r->file);
		free(r->self_b);
		free(r->total_b);
		return NULL;
	}
	return &tp->rows[tp->nrows++];
}

static void drop_rows(struct top *tp)
{
	size_t i;

	for (i = 0; i < tp->nrows; i++) {
		free(tp->rows[i].name);
		free(tp->rows[i].file);
		free(tp->rows[i].self_b);
		free(tp->rows[i].total_b);
	}
	tp->nrows = 0;
	pyro_hash_clear(&tp->ix);
	tp->samples_all = tp->samples_w = 0;
	memset(tp->samples_b, 0, sizeof(tp->samples_b));
}

/* Start a new one-second bucket: what falls out of the window leaves the sums. */
static void next_bucket(struct top *tp)
{
	size_t i;

	tp->bucket = (tp->bucket + 1) % tp->window;
	tp->samples_w -= tp->samples_b[tp->bucket];
	tp->samples_b[tp->bucket] = 0;
	for (i = 0; i < tp->nrows; i++) {
		struct row *r = &tp->rows[i];

		r->self_w -= r->self_b[tp->bucket];
		r->total_w -= r->total_b[tp->bucket];
		r->self_b[tp->bucket] = r->total_b[tp->bucket] = 0;
	}
}

/* Count one sample of every thread (or of the selected one). */
static int take_sample(struct top *tp)
{
	size_t i;
	int rc;

	tp->ticks++;
	rc = cpy_sample(&tp->t, &tp->s);
	if (rc < 0)
		return rc;
	for (i = 0; i < tp->s.nthreads; i++) {
		const struct cpy_thread *th = &tp->s.threads[i];
		uint32_t k;

		if (note_thread(tp, th) < 0)
			return -ENOMEM;
		if (tp->thread_sel && tp->tids[tp->thread_sel - 1] != thread_key(th))
			continue;
		tp->thread_samples++;
		if (th->torn) {
			tp->errors++;
			continue;
		}
		if (!th->depth)
			continue;
		if (++tp->sample_no == 0)
			tp->sample_no = 1;
		tp->samples_all++;
		tp->samples_w++;
		tp->samples_b[tp->bucket]++;
		for (k = th->first; k < th->first + th->depth; k++) {
			struct row *r = row_for(tp, &tp->s.frames[k]);

			if (!r)
				return -ENOMEM;
			if (k == th->first) {
				r->self_all++;
				r->self_w++;
				r->self_b[tp->bucket]++;
			}
			if (r->seen != tp->sample_no) { /* recursion counts once */
				r->seen = tp->sample_no;
				r->total_all++;
				r->total_w++;
				r->total_b[tp->bucket]++;
			}
		}
	}
	return 0;
}

static const struct top *sort_ctx;

static int by_share(const void *a, const void *b)
{
	const struct row *x = &sort_ctx->rows[*(const size_t *)a], *y = &sort_ctx->rows[*(const size_t *)b];
	int all = sort_ctx->since_start;
	uint64_t kx = sort_ctx->sort_total ? (all ? x->total_all : x->total_w) : (all ? x->self_all : x->self_w);
	uint64_t ky = sort_ctx->sort_total ? (all ? y->total_all : y->total_w) : (all ? y->self_all : y->self_w);
	uint64_t sx = all ? x->self_all : x->self_w, sy = all ? y->self_all : y->self_w;

	if (kx != ky)
		return kx < ky ? 1 : -1;
	if (sx != sy)
		return sx < sy ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void term_size(int *rows, int *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 100;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

static void draw(struct top *tp, uint64_t elapsed_ns, double rate)
{
	uint64_t n = tp->since_start ? tp->samples_all : tp->samples_w;
	int rows, cols, lines, shown = 0;
	size_t i, m = 0;
	char head[512];

	term_size(&rows, &cols);
	if (!tp->tty) {
		rows = 24; /* a plain table: the top 20 rows, lines whole */
		cols = 1 << 16;
	}
	for (i = 0; i < tp->nrows; i++)
		if ((tp->since_start ? tp->rows[i].total_all : tp->rows[i].total_w) > 0)
			tp->order[m++] = i;
	sort_ctx = tp;
	qsort(tp->order, m, sizeof(*tp->order), by_share);
	if (tp->tty)
		fputs("\033[H\033[2J", stdout);
	else
		printf("\n");
	snprintf(head, sizeof(head), "pyrometer top - pid %d, Python %s, %.0fs, %.0f samples/s, errors %llu (%.2f%%)%s",
		 (int)tp->t.pid, tp->t.version, elapsed_ns / 1e9, rate, (unsigned long long)tp->errors,
		 tp->thread_samples ? 100.0 * (double)tp->errors / (double)tp->thread_samples : 0.0,
		 tp->paused ? "  [paused]" : "");
	printf("%.*s\n", cols, head);
	if (tp->thread_sel) {
		char name[CPY_THREAD_NAME_MAX + 4];

		python_name(tp, tp->idents[tp->thread_sel - 1], name, sizeof(name));
		snprintf(head, sizeof(head), "thread %llu %s(%zu of %zu)", (unsigned long long)tp->tids[tp->thread_sel - 1],
			 name, tp->thread_sel, tp->ntids);
	}
	else
		snprintf(head, sizeof(head), "all %zu thread%s", tp->ntids, tp->ntids == 1 ? "" : "s");
	printf("%s, %s, by %s, sorted by %s, %llu samples\n", head,
	       tp->since_start ? "since start" : (tp->window == 1 ? "last second" : "sliding window"),
	       tp->by_line ? "line" : "function", tp->sort_total ? "total" : "self", (unsigned long long)n);
	if (tp->tty)
		printf("\033[7m%-*.*s\033[0m\n", cols, cols, "  %Self  %Total   Function (file:line)");
	else
		printf("  %%Self  %%Total   Function (file:line)\n");
	lines = rows - 4;
	for (i = 0; i < m && shown < lines; i++, shown++) {
		const struct row *r = &tp->rows[tp->order[i]];
		uint64_t self = tp->since_start ? r->self_all : r->self_w, total = tp->since_start ? r->total_all : r->total_w;
		char line[1024];

		snprintf(line, sizeof(line), "%6.1f%% %6.1f%%   %s (%s:%d)", n ? 100.0 * (double)self / (double)n : 0.0,
			 n ? 100.0 * (double)total / (double)n : 0.0, r->name, r->file, (int)r->line);
		printf("%.*s\n", cols, line);
	}
	if (tp->tty && !m)
		printf("\n  (no samples with Python frames yet)\n");
	fflush(stdout);
}

static struct termios saved_tio;
static int tio_saved;

static void term_restore(void)
{
	if (!tio_saved)
		return;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	tio_saved = 0;
}

static int term_enter(void)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return -errno;
	raw = saved_tio;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) < 0)
		return -errno;
	tio_saved = 1;
	atexit(term_restore);
	fputs("\033[?1049h\033[?25l", stdout);
	return 0;
}

/* Act on one key; returns 1 to quit. */
static int on_key(struct top *tp, int c)
{
	switch (c) {
	case 'q':
	case 'Q':
		return 1;
	case 's':
		tp->sort_total = 0;
		break;
	case 't':
		tp->sort_total = 1;
		break;
	case 'w':
		tp->since_start = !tp->since_start;
		break;
	case 'l':
		tp->by_line = !tp->by_line;
		drop_rows(tp); /* rows are keyed by line or by function */
		break;
	case ' ':
	case 'p':
		tp->paused = !tp->paused;
		break;
	case ']':
	case '[':
		if (tp->ntids)
			tp->thread_sel = (tp->thread_sel + (c == ']' ? 1 : tp->ntids)) % (tp->ntids + 1);
		drop_rows(tp);
		break;
	case 'a':
		tp->thread_sel = 0;
		drop_rows(tp);
		break;
	default:
		break;
	}
	return 0;
}

static int parse_secs(const char *arg, const char *opt, double lo, double hi, double *out)
{
	if (cli_parse_number(arg, lo, hi, out) < 0) {
		fprintf(stderr, "pyrometer: error: %s takes a number from %g to %g, not '%s'\n", opt, lo, hi, arg);
		return -1;
	}
	return 0;
}

/* Launch mode: wait for the child to become a Python process. */
struct launched {
	pid_t pid;
};

/* Between attempts to attach to the launched child: stop if it exited or
 * we were interrupted, else sleep 2 ms. */
static int launch_wait(void *arg)
{
	const struct launched *c = arg;
	int st;

	if (waitpid(c->pid, &st, WNOHANG) == c->pid)
		return pyro_err_set(ENOEXEC, "pid %d exited with status %d before a Python interpreter appeared "
				    "in it", (int)c->pid, proc_exit_code(st));
	if (stop_signal)
		return pyro_err_set(EINTR, "interrupted while waiting for Python to start");
	usleep(2000);
	return 0;
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },      { "rate", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' }, { "window", required_argument, NULL, 'w' },
		{ "duration", required_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct top tp;
	struct sigaction sa;
	double rate = 100, interval = 1, window = 10, duration = 0;
	uint64_t start, next, next_draw, next_bucket_at, period, failing_since = 0;
	pid_t pid = 0, child = 0;
	int c, rc = 0, code = 0, attached = 0, quit = 0, st;

	while ((c = getopt_long(argc, argv, "+p:r:i:w:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_pid(optarg, &pid) < 0)
				return EXIT_USAGE;
			break;
		case 'r':
			if (parse_secs(optarg, "--rate", 1, TOP_MAX_RATE, &rate) < 0)
				return EXIT_USAGE;
			break;
		case 'i':
			if (parse_secs(optarg, "--interval", 0.1, 3600, &interval) < 0)
				return EXIT_USAGE;
			break;
		case 'w':
			if (parse_secs(optarg, "--window", 1, WINDOW_MAX, &window) < 0)
				return EXIT_USAGE;
			break;
		case 'd':
			if (parse_secs(optarg, "--duration", 0.001, 1e7, &duration) < 0)
				return EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if ((pid && optind < argc) || (!pid && optind >= argc)) {
		fprintf(stderr, "pyrometer: error: give either -p PID or a command after --\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	memset(&tp, 0, sizeof(tp));
	pyro_hash_init(&tp.ix);
	tp.window = (unsigned)window;
	tp.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (pid) {
		rc = cpy_attach(&tp.t, pid, 0);
	} else {
		rc = proc_launch(argv + optind, &child);
		if (rc == 0) {
			struct launched lc = { child };

			rc = cpy_attach_launched(&tp.t, child, launch_wait, &lc);
		}
	}
	if (rc < 0) {
		pyro_err_print();
		code = 1;
		goto out;
	}
	attached = 1;
	if (tp.tty && term_enter() < 0)
		tp.tty = 0;
	period = (uint64_t)(1e9 / rate);
	start = next = now_ns();
	next_draw = start + (uint64_t)(interval * 1e9);
	next_bucket_at = start + 1000000000ull;
	while (!stop_signal) {
		uint64_t now = now_ns();
		unsigned char key;
		struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };

		if (duration > 0 && now - start >= (uint64_t)(duration * 1e9))
			break;
		while (now >= next_bucket_at) {
			next_bucket(&tp);
			next_bucket_at += 1000000000ull;
		}
		if (child > 0 && waitpid(child, &st, WNOHANG) == child) {
			child = -proc_exit_code(st) - 1; /* reaped: keep the code */
			rc = -ESRCH;
			break;
		}
		rc = take_sample(&tp);
		if (rc == -ESRCH)
			break; /* the target exited */
		if (rc < 0) {
			/* A round can read the target mid-change (the loader still
			 * mapping libpython, an interpreter being created): count
			 * it, as record does, and give up only when every round
			 * has failed for TOP_FAILING_NS. */
			tp.errors++;
			tp.thread_samples++;
			if (!failing_since)
				failing_since = now;
			if (now - failing_since >= TOP_FAILING_NS) {
				code = 1;
				break;
			}
		} else {
			failing_since = 0;
		}
		if (tp.tty && poll(&pfd, 1, 0) > 0 && read(STDIN_FILENO, &key, 1) == 1) {
			if ((quit = on_key(&tp, key)))
				break;
			if (!tp.paused)
				draw(&tp, now - start, (double)tp.ticks * 1e9 / (double)(now - start + 1));
		}
		if (now >= next_draw) {
			if (!tp.paused)
				draw(&tp, now - start, (double)tp.ticks * 1e9 / (double)(now - start + 1));
			next_draw += (uint64_t)(interval * 1e9);
		}
		next += period;
		now = now_ns();
		if (next > now) {
			struct timespec ts = { (time_t)(next / 1000000000ull), (long)(next % 1000000000ull) };

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		} else {
			next = now; /* late: no burst to catch up */
		}
	}
	term_restore();
	if (code) {
		pyro_err_print();
	} else if (rc == -ESRCH) {
		fprintf(stderr, "pyrometer: pid %d exited\n", (int)tp.t.pid);
	}
	if (!tp.tty && !code)
		draw(&tp, now_ns() - start, (double)tp.ticks * 1e9 / (double)(now_ns() - start + 1));
out:
	if (child > 0) {
		/* q or a signal ends a launched program too, as with top's own
		 * children: it was started only to be watched. */
		if (waitpid(child, &st, WNOHANG) == 0)
			kill(child, stop_signal ? stop_signal : SIGTERM);
		if (waitpid(child, &st, 0) == child && !code && !quit)
			code = proc_exit_code(st);
	} else if (child < 0 && !code) {
		code = -child - 1;
	}
	drop_rows(&tp);
	free(tp.rows);
	free(tp.order);
	free(tp.tids);
	free(tp.idents);
	if (tp.has_objs)
		cpy_objects_release(&tp.objs);
	pyro_hash_release(&tp.ix);
	cpy_sample_release(&tp.s);
	if (attached)
		cpy_target_release(&tp.t);
	return code;
}
