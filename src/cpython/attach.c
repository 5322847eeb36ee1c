/*
 * attach.c - find the interpreter in another process and choose its layout.
 *
 * The interpreter lives in libpython (shared builds) or in the executable
 * (static builds such as Debian's). Its file is opened through
 * /proc/PID/root so a target in a container resolves to its own files.
 * Versions are table-driven: a generated layout for 3.6 to 3.12, the
 * target's own _Py_DebugOffsets from 3.13 on. The version comes from the
 * target's memory wherever it can, and from the file name only as a last
 * resort.
 */
#include "cpython/debug_offsets.h"
#include "cpython/objects.h"
#include "cpython/target.h"
#include "proc/elf.h"
#include "proc/fs.h"
#include "proc/maps.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SEEN_CAP 16384 /* power of two, > CPY_MAX_DEPTH */

/* Oldest and newest version this build was tested with; newer ones are
 * tried through their _Py_DebugOffsets. */
#define SUPPORTED_RANGE "3.6 to 3.13"
#define NEWEST_TESTED_MINOR 13

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

uint32_t cpy_version_from_text(const char *s)
{
	unsigned major, minor, micro = 0, serial = 0, level = 0xf;
	int n = 0;

	if (sscanf(s, "%u.%u%n", &major, &minor, &n) != 2 || major != 3 || minor > 99)
		return 0;
	s += n;
	if (*s == '.') {
		if (sscanf(s + 1, "%u%n", &micro, &n) != 1 || micro > 99)
			return 0;
		s += 1 + n;
	}
	if (s[0] == 'a' || s[0] == 'b' || (s[0] == 'r' && s[1] == 'c')) {
		level = s[0] == 'a' ? 0xa : s[0] == 'b' ? 0xb : 0xc;
		s += level == 0xc ? 2 : 1;
		if (sscanf(s, "%u%n", &serial, &n) != 1 || serial > 15)
			return 0;
		s += n;
	}
	if (*s == '+')
		s++;
	if (*s != ' ' && *s != '\0')
		return 0;
	return major << 24 | minor << 16 | micro << 8 | level << 4 | serial;
}

#define VERSION_BUFS_MAX 8
#define VERSION_TEXT_MAX 128

/* The version as the target itself reports it, most reliable first:
 * Py_Version (3.11+); the _Py_DebugOffsets header at the start of
 * _PyRuntime (3.13+); the text Py_GetVersion() wrote into its static buffer
 * for sys.version at start-up (every version; the buffer is a local symbol,
 * so this needs the symbol table). Returns 0 with *hex set (0: none found;
 * then *pending says the buffer exists but is not written yet), or a
 * negative error from reading the target. */
static int version_from_memory(struct cpy_target *t, const struct elf_file *e, uint64_t bias, uint32_t *hex,
			       int *pending)
{
	uint64_t addr, runtime, vals[VERSION_BUFS_MAX], sizes[VERSION_BUFS_MAX];
	size_t n, i;
	int rc;

	*hex = 0;
	*pending = 0;
	if (elf_find_symbol(e, "Py_Version", &addr, NULL)) {
		rc = proc_read_direct(&t->mem, bias + addr, hex, sizeof(*hex));
		if (rc < 0)
			return proc_mem_describe(&t->mem, rc, bias + addr, sizeof(*hex));
		if (*hex >> 24 == 3) {
			t->version_source = "Py_Version";
			return 0;
		}
		*hex = 0;
	}
	if (elf_find_symbol(e, "_PyRuntime", &runtime, NULL)) {
		struct {
			char cookie[8];
			uint64_t version;
		} head;

		if (proc_read_direct(&t->mem, bias + runtime, &head, sizeof(head)) == 0 &&
		    memcmp(head.cookie, "xdebugpy", 8) == 0 && head.version >> 24 == 3) {
			*hex = (uint32_t)head.version;
			t->version_source = "_Py_DebugOffsets";
			return 0;
		}
	}
	n = elf_find_symbols(e, "version", vals, sizes, VERSION_BUFS_MAX);
	for (i = 0; i < n && i < VERSION_BUFS_MAX; i++) {
		char text[VERSION_TEXT_MAX + 1];
		size_t len = sizes[i] < VERSION_TEXT_MAX ? (size_t)sizes[i] : VERSION_TEXT_MAX;

		if (len < 8)
			continue;
		if (proc_read_direct(&t->mem, bias + vals[i], text, len) < 0)
			continue;
		text[len] = '\0';
		*pending |= text[0] == '\0';
		*hex = cpy_version_from_text(text);
		if (*hex) {
			t->version_source = "sys.version";
			return 0;
		}
	}
	return 0;
}

static void set_version_text(struct cpy_target *t, uint32_t hex)
{
	unsigned lv = (hex >> 4) & 0xf;
	const char *level = lv == 0xa ? "a" : lv == 0xb ? "b" : lv == 0xc ? "rc" : NULL;

	t->hexversion = hex;
	if (level)
		snprintf(t->version, sizeof(t->version), "%u.%u.%u%s%u", hex >> 24, (hex >> 16) & 0xff,
			 (hex >> 8) & 0xff, level, hex & 0xf);
	else
		snprintf(t->version, sizeof(t->version), "%u.%u.%u", hex >> 24, (hex >> 16) & 0xff,
			 (hex >> 8) & 0xff);
}

/* 3.6 keeps the GIL in static variables of ceval.c: found by name when the
 * symbol table has them (the GIL is then unknown, not an error). */
static void find_gil36(struct cpy_target *t, const struct elf_file *e, uint64_t bias)
{
	uint64_t locked, holder, mutex, cond;

	memset(&t->gil36, 0, sizeof(t->gil36));
	if (!elf_find_symbol(e, "gil_locked", &locked, NULL) || !elf_find_symbol(e, "gil_last_holder", &holder, NULL))
		return;
	t->gil36.locked = bias + locked;
	t->gil36.holder = bias + holder;
	if (elf_find_symbol(e, "gil_mutex", &mutex, NULL) && elf_find_symbol(e, "gil_cond", &cond, NULL)) {
		/* pthread_mutex_t and pthread_cond_t: 40 and 48 bytes on Linux. */
		t->gil36.wait_lo = bias + (mutex < cond ? mutex : cond);
		t->gil36.wait_hi = bias + (mutex + 40 > cond + 48 ? mutex + 40 : cond + 48);
	}
}

/* Choose the layout for t->hexversion and find the interpreter list in e. */
static int read_layout(struct cpy_target *t, const struct elf_file *e, uint64_t bias, const char *path)
{
	unsigned major = t->hexversion >> 24, minor = (t->hexversion >> 16) & 0xff;
	const struct cpy_layout *l = cpy_layout_find(major, minor);
	struct cpy_debug_offsets_313 d;
	uint64_t runtime;
	int rc;

	if (l) {
		t->layout = *l;
		if (!elf_find_symbol(e, l->runtime.symbol, &runtime, NULL))
			return pyro_err_set(ENOTSUP,
					    "Python %s (pid %d): %s has no symbol %s, which this version needs to find "
					    "its interpreters (is it stripped? use an unstripped build or install its "
					    "debug symbols)",
					    t->version, (int)t->pid, path, l->runtime.symbol);
		t->runtime_addr = bias + runtime;
		if (l->gil.kind == CPY_GIL_SYMBOLS)
			find_gil36(t, e, bias);
		if (l->gc.kind == CPY_GC_SYMBOL) {
			uint64_t collecting;

			/* gcmodule.c's static int: in the symbol table of unstripped builds. */
			t->gc36 = elf_find_symbol(e, "collecting", &collecting, NULL) ? bias + collecting : 0;
		}
		return 0;
	}
	if (major != 3 || minor < 13)
		return pyro_err_set(ENOTSUP, "Python %s (pid %d, %s) is not supported by this build (supported: %s)",
				    t->version, (int)t->pid, path, SUPPORTED_RANGE);
	if (!elf_find_symbol(e, "_PyRuntime", &runtime, NULL))
		return pyro_err_set(ENOTSUP, "Python %s (pid %d): %s has no _PyRuntime symbol", t->version,
				    (int)t->pid, path);
	t->runtime_addr = bias + runtime;
	rc = proc_read_direct(&t->mem, t->runtime_addr, &d, sizeof(d));
	if (rc < 0)
		return proc_mem_describe(&t->mem, rc, t->runtime_addr, sizeof(d));
	rc = cpy_debug_offsets_load(&d, t->hexversion, &t->layout);
	if (rc < 0)
		return pyro_err_prefix(rc, "cannot read Python %s in pid %d: its layout failed validation",
				       t->version, (int)t->pid);
	t->from_debug_offsets = 1;
	return 0;
}

/* Whether the runtime found in t lists at least one interpreter. While the
 * loader is still mapping libpython, the runtime's address can show bytes of
 * the file rather than its zeroed .bss: a head that is not a pointer to an
 * aligned, readable interpreter state is not one yet. */
static int has_interpreters(struct cpy_target *t)
{
	uint64_t head = 0, threads = 0;

	return proc_read_direct(&t->mem, t->runtime_addr + t->layout.runtime.interpreters_head, &head, 8) == 0 &&
	       head != 0 && (head & 7) == 0 &&
	       proc_read_direct(&t->mem, head + t->layout.interp.threads_head, &threads, 8) == 0 && (threads & 7) == 0;
}

/* Read the version and choose the layout of one mapped file. Returns 0, 1
 * if the file holds no interpreter, -EAGAIN if it is not started yet, or a
 * negative error with a message. */
static int try_candidate(struct cpy_target *t, const struct candidate *c, int launching)
{
	struct elf_file e;
	uint64_t sym, bias;
	uint32_t hex = 0;
	int rc, pending;

	if (open_target_elf(t->pid, c->path, &e) < 0)
		return 1;
	/* Defined (not imported) by every CPython's interpreter binary. */
	if (!elf_find_symbol(&e, "Py_GetVersion", &sym, NULL)) {
		elf_release(&e);
		return 1;
	}
	bias = c->bias - (e.has_load ? e.load_vaddr : 0);
	snprintf(t->binary, sizeof(t->binary), "%s", c->path);
	t->code_type_addr = elf_find_symbol(&e, "PyCode_Type", &sym, NULL) ? bias + sym : 0;
	t->from_debug_offsets = 0;
	rc = version_from_memory(t, &e, bias, &hex, &pending);
	if (rc == 0 && hex) {
		set_version_text(t, hex);
	} else if (rc == 0) {
		unsigned major = 0, minor = 0;

		/* sys.version is written during start-up: a launched
		 * interpreter may not have got there yet. */
		if (launching && pending) {
			elf_release(&e);
			return -EAGAIN;
		}
		if (version_from_name(c->path, &major, &minor) < 0 || minor > 99) {
			elf_release(&e);
			return pyro_err_set(ENOTSUP,
					    "pid %d runs a Python whose version cannot be read: neither its "
					    "memory nor the file name %s tells",
					    (int)t->pid, c->path);
		}
		if (major != 3) {
			elf_release(&e);
			return pyro_err_set(ENOTSUP, "Python %u.%u (pid %d, %s) is not supported (supported: %s)",
					    major, minor, (int)t->pid, c->path, SUPPORTED_RANGE);
		}
		t->hexversion = major << 24 | minor << 16;
		t->version_source = "file name";
		snprintf(t->version, sizeof(t->version), "%u.%u", major, minor);
	}
	if (rc == 0)
		rc = read_layout(t, &e, bias, c->path);
	elf_release(&e);
	return rc;
}

static int find_interpreter(struct cpy_target *t, const struct proc_maps *maps, int launching)
{
	char link[64], exe[PATH_MAX], found[PATH_MAX + 64] = "";
	struct candidate cand[8];
	size_t ncand = 0, i;
	int first_ok = -1, first_rc = 1, pending = 0;
	ssize_t n;

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

	/* Several interpreters can be mapped: a static python whose extension
	 * modules pulled in a libpython, say. The one in use is the one whose
	 * runtime lists interpreters; if none does yet, the first that reads. */
	for (i = 0; i < ncand; i++) {
		int rc = try_candidate(t, &cand[i], launching);

		if (rc == 1)
			continue;
		if (rc == 0 && first_ok < 0)
			first_ok = (int)i;
		if (rc < 0 && rc != -EAGAIN && first_rc == 1)
			first_rc = rc;
		if (rc == -EAGAIN)
			pending = 1;
		if (rc == 0 && has_interpreters(t))
			return 0;
	}
	if (launching && (first_ok >= 0 || pending))
		return -EAGAIN; /* not initialised yet */
	if (first_ok >= 0)
		return try_candidate(t, &cand[first_ok], launching);
	if (first_rc < 0)
		return first_rc;
	if (launching)
		return -EAGAIN;
	for (i = 0; i < maps->n; i++)
		if (looks_like_python(maps->v[i].path)) {
			snprintf(found, sizeof(found), ", though %s is mapped", maps->v[i].path);
			break;
		}
	return pyro_err_set(ENOEXEC,
			    "pid %d is not a Python process: it runs %s and no libpython or python executable "
			    "defining the CPython API is in its memory map%s",
			    (int)t->pid, exe[0] ? exe : "an unknown program", found);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cpy_attach_launched(struct cpy_target *t, pid_t pid, int (*wait)(void *arg), void *arg)
{
	uint64_t failing_since = 0;

	for (;;) {
		int rc = cpy_attach(t, pid, 1);

		if (rc == 0)
			return 0;
		if (rc == -EAGAIN) {
			failing_since = 0;
		} else if (rc == -ENOTSUP || rc == -EFAULT || rc == -EINVAL) {
			/* What reads wrong now may read right once the loader is done. */
			uint64_t now = monotonic_ns();

			if (!failing_since)
				failing_since = now;
			else if (now - failing_since >= CPY_LAUNCH_SETTLE_NS)
				return rc;
		} else {
			return rc;
		}
		rc = wait(arg);
		if (rc < 0)
			return rc;
	}
}

int cpy_attach(struct cpy_target *t, pid_t pid, int launching)
{
	struct proc_maps maps;
	char why[400];
	int rc;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid_offset = CPY_FIELD_NONE;
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
	if (((t->hexversion >> 16) & 0xff) > NEWEST_TESTED_MINOR)
		fprintf(stderr,
			"pyrometer: warning: Python %s is newer than any version this build was tested with "
			"(%s); reading it through its _Py_DebugOffsets with the 3.%d layout, checked field "
			"by field\n",
			t->version, SUPPORTED_RANGE, NEWEST_TESTED_MINOR);
	/* The window of a code object's own fields that every sample compares
	 * (code_objects.h): the object pointers that name the code and its line
	 * table (contiguous in every version: filename, name, [qualname,]
	 * linetable). Nothing the interpreter changes while running (warm-up
	 * counters, versions, caches) may be inside it, or every sample would
	 * decode the code object again. */
	{
		const struct cpy_layout *l = &t->layout;
		uint32_t f[4] = { l->code.filename, l->code.name, l->code.linetable, l->code.qualname };
		int nf = l->code.qualname != CPY_FIELD_NONE ? 4 : 3, i;
		uint32_t lo = f[0], hi = f[0];

		for (i = 1; i < nf; i++) {
			if (f[i] < lo)
				lo = f[i];
			if (f[i] > hi)
				hi = f[i];
		}
		cpy_code_cache_init(&t->codes, lo, hi + 8 - lo);
	}
	t->seen = calloc(SEEN_CAP, sizeof(*t->seen));
	t->seen_gen = calloc(SEEN_CAP, sizeof(*t->seen_gen));
	if (!t->seen || !t->seen_gen) {
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
	free(t->chk.addr);
	free(t->chk.len);
	free(t->chk.dst);
	free(t->chk.ok);
	free(t->chk.buf);
	free(t->chk.codes);
	memset(&t->chk, 0, sizeof(t->chk));
	t->seen = NULL;
	t->seen_gen = NULL;
}

int cpy_target_symbols(const struct cpy_target *t, const char *const *names, uint64_t *addrs, size_t n)
{
	const struct proc_map *first;
	struct proc_maps maps;
	struct elf_file e;
	uint64_t bias, v;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		addrs[i] = 0;
	rc = proc_maps_read(t->pid, &maps);
	if (rc < 0)
		return rc;
	first = proc_maps_first_of(&maps, t->binary);
	if (!first) {
		proc_maps_release(&maps);
		return pyro_err_set(ENOENT, "%s is no longer mapped in pid %d", t->binary, (int)t->pid);
	}
	bias = first->start;
	proc_maps_release(&maps);
	rc = open_target_elf(t->pid, t->binary, &e);
	if (rc < 0)
		return rc;
	bias -= e.has_load ? e.load_vaddr : 0;
	for (i = 0; i < n; i++)
		if (elf_find_symbol(&e, names[i], &v, NULL))
			addrs[i] = bias + v;
	elf_release(&e);
	return 0;
}
