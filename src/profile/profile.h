/*
 * profile.h - the profile model every producer writes and every consumer
 * reads, and the .pyro file that holds it (docs/FORMAT.md is the contract).
 *
 * Tables are append-only and ids are indexes: strings, frames (a function at
 * a line), stacks (a trie: parent stack + frame), threads, then samples that
 * name a thread and a stack. The writer interns as it goes and streams new
 * entries at each flush, so a killed recorder leaves a readable file.
 */
#ifndef PYRO_PROFILE_PROFILE_H
#define PYRO_PROFILE_PROFILE_H

#include "util/buf.h"
#include "util/hash.h"

#include <stddef.h>
#include <stdint.h>

#define PYRO_MAGIC "\x89PYRO\r\n\x1a"
#define PYRO_MAGIC_LEN 8
#define PYRO_FORMAT_MAJOR 1
#define PYRO_FORMAT_MINOR 3

#define PYRO_MAX_STRING (1u << 20)
#define PYRO_MAX_ARGS 4096
#define PYRO_MAX_TABLE (1u << 28)
#define PYRO_NO_ID UINT32_MAX

enum pyro_chunk {
	PYRO_CHUNK_HEADER = 1,
	PYRO_CHUNK_STRINGS = 2,
	PYRO_CHUNK_FRAMES = 3,
	PYRO_CHUNK_STACKS = 4,
	PYRO_CHUNK_THREADS = 5,
	PYRO_CHUNK_SAMPLES = 6,
	PYRO_CHUNK_END = 7,
	PYRO_CHUNK_THREAD_UPDATES = 8, /* 1.2 */
	PYRO_CHUNK_PROCESSES = 9,      /* 1.2 */
	PYRO_CHUNK_MEMORY = 10,        /* 1.3: the memory agent's state */
	PYRO_CHUNK_MEMORY_SITES = 11,  /* 1.3: per-stack allocation totals */
	PYRO_CHUNK_MEMORY_POINTS = 12, /* 1.3: live bytes over time */
};

enum pyro_mode { PYRO_MODE_WALL = 0, PYRO_MODE_CPU = 1, PYRO_MODE_GIL = 2 };

/* What a thread was doing when sampled (format 1.2): the activity in the
 * low 3 bits, whether it held the GIL in the next 2. */
enum pyro_activity {
	PYRO_ACT_UNKNOWN = 0,
	PYRO_ACT_RUNNING = 1,   /* on a CPU or ready to run */
	PYRO_ACT_GIL_WAIT = 2,  /* asleep waiting for its interpreter's GIL */
	PYRO_ACT_SLEEPING = 3,  /* asleep on anything else */
	PYRO_ACT_DISK = 4,      /* uninterruptible wait */
	PYRO_ACT_STOPPED = 5,
};
#define PYRO_ACT_COUNT 6
enum pyro_gil { PYRO_GIL_UNKNOWN = 0, PYRO_GIL_NOT_HELD = 1, PYRO_GIL_HELD = 2 };
#define PYRO_STATE(act, gil) ((uint8_t)((act) | (gil) << 3))
#define PYRO_STATE_ACT(s) ((s) & 7u)
#define PYRO_STATE_GIL(s) (((s) >> 3) & 3u)

/* A thread's observed time, by what it was doing (format 1.2): what the
 * sampler saw on every round, whether or not the mode recorded the sample. */
enum pyro_time {
	PYRO_TIME_OBSERVED = 0, /* all rounds the thread was seen in */
	PYRO_TIME_RUNNING,
	PYRO_TIME_GIL_HELD,
	PYRO_TIME_GIL_WAIT,
	PYRO_TIME_IDLE,         /* sleeping, disk wait, stopped */
	PYRO_TIME_NO_PYTHON,    /* not idle, with no Python frame to record (1.3) */
};
#define PYRO_TIMES 6
enum pyro_frame_kind { PYRO_FRAME_PYTHON = 0, PYRO_FRAME_NATIVE = 1 };

struct pyro_header {
	char *producer;        /* owned: "pyrometer 0.1.0" */
	char *python_version;  /* owned: "3.12.1" */
	char **argv;           /* owned */
	size_t argc;
	uint64_t pid;
	uint64_t start_ns;     /* Unix time */
	uint32_t mode;         /* enum pyro_mode */
	uint32_t rate_hz;
};

struct pyro_frame {
	uint32_t name;         /* string ids */
	uint32_t file;
	int32_t first_line;
	int32_t line;
	uint32_t kind;
};

struct pyro_stack {
	uint32_t parent;       /* stack id, or PYRO_NO_ID for a root */
	uint32_t frame;
};

struct pyro_thread {
	uint64_t native_id;
	uint64_t thread_id;
	uint32_t name;         /* string id or PYRO_NO_ID: the Python thread name */
	int64_t interp;        /* the interpreter's id: 0 the main one (format 1.1) */
	uint64_t pid;          /* its process (format 1.2; 0: the header's) */
	uint64_t times_ns[PYRO_TIMES]; /* enum pyro_time (1.2; all 0 when unknown) */
	uint8_t ntimes;        /* how many of them the file gave */
};

struct pyro_sample {
	uint32_t thread;
	uint32_t stack;        /* PYRO_NO_ID: no Python frames */
	uint64_t time_ns;      /* since the start of recording */
	uint64_t weight_ns;    /* time this sample stands for */
	uint8_t state;         /* PYRO_STATE(); 0 when unknown (format 1.2) */
};

/* A process other than the header's, joined while recording (format 1.2). */
struct pyro_process {
	uint64_t pid;
	uint64_t ppid;
	uint32_t version;      /* string id or PYRO_NO_ID: its Python version */
	uint32_t *argv;        /* owned: string ids */
	size_t argc;
};

/* Memory, from the in-process agent (format 1.3). Byte counts are
 * estimates when allocations were sampled (each sampled block stands for
 * size / P(sampled) bytes), exact with --memory=exact. */
enum pyro_mem_flag {
	PYRO_MEM_EXACT = 1,     /* every allocation recorded */
	PYRO_MEM_NATIVE = 2,    /* malloc and friends seen too, not only Python's allocators */
	PYRO_MEM_ENDED = 4,     /* the program's end was seen: live bytes are what it held at exit */
	PYRO_MEM_DISABLED = 8,  /* the agent turned itself off (message says why) */
};

/* What one stack (the Python stack at the allocation) accounts for. */
struct pyro_mem_site {
	uint32_t stack;         /* PYRO_NO_ID: allocated with no Python frame running */
	uint64_t allocs;        /* allocations */
	uint64_t alloc_bytes;   /* bytes allocated */
	uint64_t freed_bytes;   /* of those, bytes freed */
	uint64_t temp_bytes;    /* of those, bytes freed within the churn window */
	uint64_t live_bytes;    /* allocated and not freed, at the last update */
	uint64_t peak_bytes;    /* live at the moment of the peak */
};

/* One site's live bytes at a moment (every update is kept: leak growth). */
struct pyro_mem_history {
	uint64_t time_ns;
	uint32_t site;          /* index in pyro_memory.sites */
	uint64_t live_bytes;
};

struct pyro_mem_point {
	uint64_t time_ns;       /* since the start of recording */
	uint64_t live_bytes;    /* all sites' live bytes */
	uint64_t rss_bytes;     /* the process's resident set; 0 unknown */
};

struct pyro_memory {
	int present;
	uint32_t flags;         /* enum pyro_mem_flag */
	uint64_t sample_bytes;  /* mean sampling interval; 1 with PYRO_MEM_EXACT */
	uint64_t churn_ns;      /* a block freed this soon is temporary */
	uint64_t offset_ns;     /* the agent's time 0, after the header's start */
	uint64_t peak_bytes, peak_time_ns;
	uint64_t time_ns;       /* of the last update */
	char message[256];      /* why it is disabled, or "" */
	struct pyro_mem_site *sites;
	size_t nsites, cap_sites;
	struct pyro_hash site_ids;  /* stack + 1 -> index in sites */
	struct pyro_mem_history *history;
	size_t nhistory, cap_history;
	struct pyro_mem_point *points;
	size_t npoints, cap_points;
};

struct pyro_end {
	int present;
	uint64_t ticks;        /* sampling attempts */
	uint64_t errors;       /* torn or unreadable thread stacks */
	uint64_t duration_ns;
	uint64_t exit_status;  /* target's exit code + 1, 0 when unknown */
	uint64_t saturated;    /* rounds whose sample took longer than the interval (0 in older files) */
};

struct pyro_profile {
	struct pyro_header header;
	char **strings;        /* owned, NUL-terminated */
	uint32_t *string_len;
	size_t nstrings, cap_strings;
	struct pyro_frame *frames;
	size_t nframes, cap_frames;
	struct pyro_stack *stacks;
	size_t nstacks, cap_stacks;
	struct pyro_thread *threads;
	size_t nthreads, cap_threads;
	struct pyro_sample *samples;
	size_t nsamples, cap_samples;
	struct pyro_process *processes;
	size_t nprocesses, cap_processes;
	struct pyro_memory memory;
	struct pyro_end end;
	char warning[512];     /* set when the file was cut short */
};

void pyro_profile_init(struct pyro_profile *p);
void pyro_profile_release(struct pyro_profile *p);

/* Parse a whole .pyro image. Every length, varint and index is checked.
 * Returns 0 (with p->warning set when the file ends inside a chunk: what
 * came before is kept), or negative with a message naming the byte offset
 * and what was expected; p is then released. */
int pyro_profile_parse(const uint8_t *data, size_t len, struct pyro_profile *p);
/* Read and parse a file; messages start with the path. */
int pyro_profile_read(const char *path, struct pyro_profile *p);

/* Keep only the samples of process pid (report --pid): other processes'
 * threads stay, with no samples and no times; when pid is a joined child,
 * the header describes it instead of the recorded root (its pid, version
 * and command line). Returns 0, -ESRCH (with a message) when no thread of
 * the profile belongs to pid, or -ENOMEM. */
int pyro_profile_keep_pid(struct pyro_profile *p, uint64_t pid);
/* The process a thread belongs to. */
uint64_t pyro_thread_pid(const struct pyro_profile *p, const struct pyro_thread *t);
/* "wall", "cpu", "gil" ("unknown" for another value). */
const char *pyro_mode_name(uint32_t mode);
/* The string for id, or "?" when out of range. */
const char *pyro_profile_str(const struct pyro_profile *p, uint32_t id);
/* The site of stack (PYRO_NO_ID: no Python frame), or NULL. */
const struct pyro_mem_site *pyro_memory_site(const struct pyro_memory *m, uint32_t stack);

/* Streaming writer. */
struct pyro_writer {
	int fd;
	struct pyro_profile tables;  /* owned copy of everything written, for interning */
	struct pyro_hash string_ids; /* content hash (probed) -> id */
	struct pyro_hash frame_ids;
	struct pyro_hash stack_ids;  /* (parent+1, frame) -> id */
	size_t flushed_strings, flushed_frames, flushed_stacks, flushed_threads, flushed_processes;
	struct pyro_buf samples;     /* pending SAMPLES payload */
	struct pyro_buf states;      /* and their states, written after them (1.2) */
	uint8_t *thread_dirty;       /* per thread: name or times changed since the last flush */
	size_t cap_dirty;
	uint64_t pending_samples;
	uint64_t last_time_ns;
	uint64_t last_point_ns;      /* memory points are time deltas too */
	uint64_t bytes_written;
	int failed;                  /* sticky: a write failed; message kept */
};

/* Create path and write the magic and header. Returns 0 or negative. */
int pyro_writer_open(struct pyro_writer *w, const char *path, const struct pyro_header *h);
/* Intern; return the id, or PYRO_NO_ID on allocation failure (sticky). */
uint32_t pyro_writer_string(struct pyro_writer *w, const char *s, size_t n);
uint32_t pyro_writer_frame(struct pyro_writer *w, const struct pyro_frame *f);
uint32_t pyro_writer_stack(struct pyro_writer *w, uint32_t parent, uint32_t frame);
/* Add a thread (not interned: the caller keeps its own map). */
uint32_t pyro_writer_thread(struct pyro_writer *w, const struct pyro_thread *t);
/* Set a thread's name (a string id; PYRO_NO_ID leaves it) and its
 * cumulative times (NULL leaves them); written at the next flush. */
void pyro_writer_thread_update(struct pyro_writer *w, uint32_t thread, uint32_t name, const uint64_t *times_ns);
/* Add a process joined while recording; p->argv is copied. */
int pyro_writer_process(struct pyro_writer *w, const struct pyro_process *p);
void pyro_writer_sample(struct pyro_writer *w, const struct pyro_sample *s);
/* Memory (format 1.3), written at once (after a flush of the tables, so
 * the stacks they name are defined): the agent's state, the sites changed
 * since the last call as of time_ns, and live bytes over time. */
int pyro_writer_memory(struct pyro_writer *w, const struct pyro_memory *m);
int pyro_writer_mem_sites(struct pyro_writer *w, uint64_t time_ns, const struct pyro_mem_site *sites, size_t n);
int pyro_writer_mem_points(struct pyro_writer *w, const struct pyro_mem_point *pts, size_t n);
/* Write the memory of a, an agent's profile, into w: a's stacks interned
 * in w's tables, its times moved by offset_ns (when the agent started,
 * after w's start). Returns 0, or negative with a message (w may then hold
 * part of it). */
int pyro_writer_merge_memory(struct pyro_writer *w, const struct pyro_profile *a, uint64_t offset_ns);
/* Write everything new since the last flush. Returns 0 or negative. */
int pyro_writer_flush(struct pyro_writer *w);
/* Flush, write the END chunk and close. The tables stay readable in
 * w->tables until pyro_writer_release(). */
int pyro_writer_close(struct pyro_writer *w, const struct pyro_end *end);
void pyro_writer_release(struct pyro_writer *w);

#endif
