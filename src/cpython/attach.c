/*
 * attach.c - find the interpreter in another process and choose its layout.
 *
 * The interpreter lives in libpython (shared builds) or in the executable
 * (static builds such as Debian's). Its file is opened through
 * /proc/PID/root so a target in a container resolves to its own files.
 * Versions are table-driven: a generated layout for 3.11 and 3.12, the
 * target's own _Py_DebugOffsets from 3.13 on.
 */
#include "cpython/debug_offsets.h"
#include "cpython/target.h"
#include "proc/elf.h"
#include "proc/fs.h"
#include "proc/maps.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEEN_CAP 16384 /* power of two, > CPY_MAX_DEPTH */

/* Oldest and newest version this build reads. */
#define SUPPORTED_RANGE "3.11 to 3.13"

const struct cpy_layout *cpy_layout_find(unsigned major, unsigned minor)
{
	unsigned i;

	for (i = 0; i < cpy_layouts_count; i++)
		if (cpy_layouts[i].version == (major << 8 | minor))
			return &cpy_layouts[i];
	return NULL;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* "libpython3.12.so.1.0" or "python3.12" -> 3, 12. */
static int version_from_name(const char *path, unsigned *major, unsigned *minor)
{
	const char *b = base_name(path);

	if (strncmp(b, "lib", 3) == 0)
		b += 3;
	if (strncmp(b, "python", 6) != 0)
		return -1;
	return sscanf(b + 6, "%u.%u", major, minor) == 2 ? 0 : -1;
}

static int looks_like_python(const char *path)
{
	const char *b = base_name(path);

	return strncmp(b, "libpython", 9) == 0 || strncmp(b, "python", 6) == 0;
}

/* Open a path as the target sees it. */
static int open_target_elf(pid_t pid, const char *path, struct elf_file *e)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "/proc/%d/root%s", (int)pid, path);
	if (elf_open(e, p) == 0)
		return 0;
	return elf_open(e, path);
}

struct candidate {
	const char *path;       /* borrowed from the maps */
	uint64_t bias;
};

static int read_layout(struct cpy_target *t, unsigned major, unsigned minor)
{
	const struct cpy_layout *l = cpy_layout_find(major, minor);
	struct cpy_debug_offsets_313 d;
	int rc;

	if (l) {
		t->layout = *l;
		return 0;
	}
	if (major != 3 || minor < 13)
		return pyro_err_set(ENOTSUP, "Python %s is not supported by this build (supported: %s)", t->version,
				    SUPPORTED_RANGE);
	rc = proc_read_direct(&t->mem, t->runtime_addr, &d, sizeof(d));
	if (rc < 0)
		return proc_mem_describe(&t->mem, rc, t->runtime_addr, sizeof(d));
	rc = cpy_debug_offsets_load(&d, t->hexversion, &t->layout);
	if (rc < 0)
		return pyro_err_prefix(rc, "Python %s in pid %d", t->version, (int)t->pid);
	t->from_debug_offsets = 1;
	if (minor > 13)
		fprintf(stderr,
			"pyrometer: warning: Python %s is newer than this build knows (%s); reading it "
			"through its _Py_DebugOffsets with the 3.13 layout, checked field by field\n",
			t->version, SUPPORTED_RANGE);
	return 0;
}

static int find_interpreter(struct cpy_target *t, const struct proc_maps *maps, int launching)
{
	char link[64], exe[PATH_MAX], found[PATH_MAX + 64] = "";
	struct candidate cand[8];
	size_t ncand = 0, i;
	ssize_t n;
	int rc = 0;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)t->pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';

	/* libpython first: a shared build keeps its symbols there. */
	for (i = 0; i < maps->n && ncand < 8; i++) {
		const struct proc_map *m = &maps->v[i];
		size_t j;
		int dup = 0;

		if (m->offset != 0 || !m->path[0] || m->path[0] != '/')
			continue;
		if (strncmp(base_name(m->path), "libpython", 9) != 0 && strcmp(m->path, exe) != 0)
			continue;
		for (j = 0; j < ncand; j++)
			dup |= strcmp(cand[j].path, m->path) == 0;
		if (dup)
			continue;
		cand[ncand].path = m->path;
		cand[ncand].bias = proc_maps_first_of(maps, m->path)->start;
		ncand++;
	}
	/* Try libpython before the executable. */
	for (i = 0; i + 1 < ncand; i++)
		if (strncmp(base_name(cand[i + 1].path), "libpython", 9) == 0 &&
		    strncmp(base_name(cand[i].path), "libpython", 9) != 0) {
			struct candidate tmp = cand[i];

			cand[i] = cand[i + 1];
			cand[i + 1] = tmp;
		}

	for (i = 0; i < ncand; i++) {
		struct elf_file e;
		uint64_t runtime, ver, code_type;
		uint32_t hex = 0;

		if (open_target_elf(t->pid, cand[i].path, &e) < 0)
			continue;
		if (!elf_find_symbol(&e, "_PyRuntime", &runtime, NULL)) {
			elf_release(&e);
			continue;
		}
		cand[i].bias -= e.has_load ? e.load_vaddr : 0;
		snprintf(t->binary, sizeof(t->binary), "%s", cand[i].path);
		t->runtime_addr = cand[i].bias + runtime;
		t->code_type_addr = elf_find_symbol(&e, "PyCode_Type", &code_type, NULL) ? cand[i].bias + code_type : 0;
		if (elf_find_symbol(&e, "Py_Version", &ver, NULL)) {
			rc = proc_read_direct(&t->mem, cand[i].bias + ver, &hex, sizeof(hex));
			if (rc < 0) {
				elf_release(&e);
				return proc_mem_describe(&t->mem, rc, cand[i].bias + ver, sizeof(hex));
			}
		}
		elf_release(&e);
		if (hex) {
			t->hexversion = hex;
			snprintf(t->version, sizeof(t->version), "%u.%u.%u", hex >> 24, (hex >> 16) & 0xff,
				 (hex >> 8) & 0xff);
			return read_layout(t, hex >> 24, (hex >> 16) & 0xff);
		} else {
			unsigned major = 0, minor = 0;

			/* Before 3.11 there is no Py_Version: the file name tells. */
			if (version_from_name(cand[i].path, &major, &minor) < 0)
				return pyro_err_set(ENOTSUP, "pid %d runs a Python whose version cannot be read (%s)",
						    (int)t->pid, cand[i].path);
			snprintf(t->version, sizeof(t->version), "%u.%u", major, minor);
			return pyro_err_set(ENOTSUP, "Python %s (pid %d, %s) is not supported by this build (supported: %s)",
					    t->version, (int)t->pid, cand[i].path, SUPPORTED_RANGE);
		}
	}
	if (launching)
		return -EAGAIN;
	for (i = 0; i < maps->n; i++)
		if (looks_like_python(maps->v[i].path)) {
			snprintf(found, sizeof(found), ", though %s is mapped", maps->v[i].path);
			break;
		}
	return pyro_err_set(ENOEXEC,
			    "pid %d is not a Python process: it runs %s and no libpython or python executable "
			    "with a _PyRuntime symbol is in its memory map%s",
			    (int)t->pid, exe[0] ? exe : "an unknown program", found);
}

int cpy_attach(struct cpy_target *t, pid_t pid, int launching)
{
	struct proc_maps maps;
	char why[400];
	int rc;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (!proc_fs_pid_exists(pid))
		return pyro_err_set(ESRCH, "no such process: pid %d", (int)pid);
	rc = proc_mem_init(&t->mem, pid);
	if (rc < 0)
		return rc;
	rc = proc_maps_read(pid, &maps);
	if (rc == -EACCES || rc == -EPERM) {
		proc_fs_explain_eperm(pid, why, sizeof(why));
		rc = pyro_err_set(EPERM, "permission denied reading the memory map of pid %d: %s", (int)pid, why);
		goto fail;
	}
	if (rc == -ENOENT || rc == -ESRCH) {
		rc = pyro_err_set(ESRCH, "no such process: pid %d (it has exited)", (int)pid);
		goto fail;
	}
	if (rc < 0)
		goto fail;
	rc = find_interpreter(t, &maps, launching);
	proc_maps_release(&maps);
	if (rc < 0)
		goto fail;
	/* The fingerprint: the four object pointers that name the code and its
	 * line table (contiguous in 3.11-3.13). Nothing the interpreter changes
	 * while running (warm-up counters, versions) may be inside it, or every
	 * sample would decode the code object again. */
	{
		const struct cpy_layout *l = &t->layout;
		uint32_t f[4] = { l->code.filename, l->code.name, l->code.qualname, l->code.linetable };
		uint32_t lo = f[0], hi = f[0];
		int i;

		for (i = 1; i < 4; i++) {
			if (f[i] < lo)
				lo = f[i];
			if (f[i] > hi)
				hi = f[i];
		}
		cpy_code_cache_init(&t->codes, lo, hi + 8 - lo);
	}
	t->seen = calloc(SEEN_CAP, sizeof(*t->seen));
	t->seen_gen = calloc(SEEN_CAP, sizeof(*t->seen_gen));
	t->fp_scratch = malloc(PROC_READV_MAX * sizeof(*t->fp_scratch));
	if (!t->seen || !t->seen_gen || !t->fp_scratch) {
		rc = pyro_err_set(ENOMEM, "out of memory");
		goto fail;
	}
	return 0;
fail:
	cpy_target_release(t);
	return rc;
}

void cpy_target_release(struct cpy_target *t)
{
	proc_mem_release(&t->mem);
	cpy_code_cache_release(&t->codes);
	free(t->seen);
	free(t->seen_gen);
	free(t->fp_scratch);
	t->fp_scratch = NULL;
	t->seen = NULL;
	t->seen_gen = NULL;
}
