/*
 * memory.h - record --memory: the agent's setup before launch and the merge
 * of what it wrote before the profile is closed.
 */
#ifndef PYRO_CLI_MEMORY_H
#define PYRO_CLI_MEMORY_H

#include "profile/profile.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct cli_memory {
	int exact, native;
	uint64_t sample_bytes;      /* 0: the agent's default */
	char version[32];           /* the target interpreter's Python version */
	char agent_out[PATH_MAX];   /* the agent's own file, merged then removed */
	int merged;
};

/* Find (or build into the cache) the agent for python, into dir. Returns
 * 0, or negative with a message giving the command that would build it. */
int cli_agent_find(const char *python, int native, char *dir, size_t n, char *version, size_t vn);
/* Before launching argv: find its interpreter and agent and set this
 * process's environment so that the child loads it. Returns 0 or negative
 * with a message. */
int cli_memory_prepare(struct cli_memory *m, char *const argv[]);
/* sampler_opts.before_close: merge the agent's file into w. */
int cli_memory_merge(struct pyro_writer *w, uint64_t start_real_ns, void *arg);

#endif
