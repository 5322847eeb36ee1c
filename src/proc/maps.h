/*
 * maps.h - the memory map of another process, from /proc/PID/maps.
 *
 * The parser works on text so it can be unit-tested and fuzzed; reading the
 * file is a thin wrapper. Only Linux's format is understood.
 */
#ifndef PYRO_PROC_MAPS_H
#define PYRO_PROC_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_MAPS_MAX_ENTRIES 65536
#define PROC_MAPS_MAX_BYTES (64u << 20)

struct proc_map {
	uint64_t start;
	uint64_t end;
	uint64_t offset;
	char perms[5];   /* "r-xp" */
	char *path;      /* owned; "" for anonymous mappings */
};

struct proc_maps {
	struct proc_map *v; /* owned */
	size_t n;
};

/* Parse maps text. Malformed lines are an error naming the line number.
 * Returns 0 or negative; on failure *out is empty. */
int proc_maps_parse(const char *text, size_t len, struct proc_maps *out);
/* Read and parse /proc/PID/maps. */
int proc_maps_read(pid_t pid, struct proc_maps *out);
void proc_maps_release(struct proc_maps *m);
/* The lowest mapping of the file at path (offset 0 usually), or NULL. */
const struct proc_map *proc_maps_first_of(const struct proc_maps *m, const char *path);

#endif
