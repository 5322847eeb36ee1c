/*
 * memory.c - `record --memory`: find the memory agent built for the
 * program's interpreter (or build it once into a cache directory), load it
 * through PYTHONPATH (its bootstrap puts back everything the program would
 * otherwise see), and merge what it wrote into the recording at the end.
 */
#include "cli/commands.h"
#include "cli/memory.h"
#include "profile/profile.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PYROMETER_SRC
#define PYROMETER_SRC ""
#endif

static const char *const agent_sources[] = {
	"src/agent/agent.c", "src/agent/tracker.c", "src/agent/tracker.h", "src/agent/native.c",
	"src/agent/pyrometer/__init__.py", "src/agent/pyrometer/__main__.py", "src/agent/pyrometer/pytest_plugin.py",
	"src/agent/boot/sitecustomize.py", "src/profile/writer.c", "src/profile/profile.h", "tools/build_agent.sh",
};

/* Find prog in PATH (or take it as a path when it has a slash). */
static int which(const char *prog, char *out, size_t n)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(prog, '/')) {
		snprintf(out, n, "%s", prog);
		return access(out, X_OK) == 0 ? 0 : -1;
	}
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		snprintf(out, n, "%.*s/%s", (int)(len ? len : 1), len ? p : ".", prog);
		if (access(out, X_OK) == 0)
			return 0;
		p += len + (end ? 1 : 0);
	}
	return -1;
}

/* The interpreter that will run argv: argv[0] itself, or the one its #!
 * line names (through env too). */
static int find_interpreter(char *const argv[], char *out, size_t n)
{
	char path[PATH_MAX], line[512], *s, *arg;
	ssize_t got;
	int fd;

	if (which(argv[0], path, sizeof(path)) < 0)
		return pyro_err_set(ENOENT, "--memory: cannot find %s in PATH", argv[0]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	got = fd >= 0 ? read(fd, line, sizeof(line) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (got < 2 || line[0] != '#' || line[1] != '!') {
		snprintf(out, n, "%s", path);
		return 0;
	}
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	for (s = line + 2; *s == ' ' || *s == '\t'; s++)
		;
	arg = s + strcspn(s, " \t");
	if (*arg) {
		*arg++ = '\0';
		arg += strspn(arg, " \t");
		arg[strcspn(arg, " \t")] = '\0';
	}
	if (!strcmp(strrchr(s, '/') ? strrchr(s, '/') + 1 : s, "env") && *arg)
		return which(arg, out, n) < 0 ? pyro_err_set(ENOENT, "--memory: cannot find %s (from %s's #! line) in PATH",
							    arg, path)
					      : 0;
	snprintf(out, n, "%s", s);
	return 0;
}

/* Run argv, capturing up to n-1 bytes of its standard output. Returns its
 * exit status (0 success) or -1. */
static int run_capture(char *const argv[], char *out, size_t n, int quiet)
{
	int fds[2], status = 0;
	size_t got = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		if (quiet) {
			int nul = open("/dev/null", O_WRONLY);

			if (nul >= 0)
				dup2(nul, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], out + got, n - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (got += (size_t)r) == n - 1)
			break;
	}
	out[got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* "3.11.7-cpython-311-x86_64-linux-gnu": what an agent is built for (the
 * same name tools/build_agent.sh gives its directory). */
static int agent_key(const char *python, char *key, size_t n, char *version, size_t vn)
{
	char out[512], *ext, *end;
	char *argv[] = { (char *)python, "-I", "-S", "-c",
			 "import sys, sysconfig; print('%d.%d.%d' % sys.version_info[:3]); "
			 "print(sysconfig.get_config_var('EXT_SUFFIX') or '.so')",
			 NULL };

	if (run_capture(argv, out, sizeof(out), 1) != 0 || !(ext = strchr(out, '\n')))
		return pyro_err_set(ENOEXEC, "--memory: %s does not run as a Python interpreter "
				    "(the agent is loaded into CPython 3.6 or newer)", python);
	*ext++ = '\0';
	if ((end = strchr(ext, '\n')))
		*end = '\0';
	if (*ext == '.')
		ext++;
	if (strlen(ext) > 3 && !strcmp(ext + strlen(ext) - 3, ".so"))
		ext[strlen(ext) - 3] = '\0';
	if (strlen(out) >= vn || strlen(out) + strlen(ext) + 2 > n)
		return pyro_err_set(ENOEXEC, "--memory: %s gives an unexpected version or extension suffix", python);
	memcpy(version, out, strlen(out) + 1);
	snprintf(key, n, "%.*s-%.*s", (int)(n / 2), out, (int)(n / 2 - 2), ext);
	return 0;
}

/* A built agent whose stamp is newer than every source it came from (when
 * the sources are here to compare). */
static int agent_usable(const char *dir, int native)
{
	char path[PATH_MAX];
	struct stat st, src;
	size_t i;

	snprintf(path, sizeof(path), "%s/stamp", dir);
	if (stat(path, &st) < 0)
		return 0;
	if (native) {
		char lib[PATH_MAX];

		snprintf(lib, sizeof(lib), "%s/libpyrometer_native.so", dir);
		if (access(lib, R_OK) < 0)
			return 0;
	}
	for (i = 0; PYROMETER_SRC[0] && i < sizeof(agent_sources) / sizeof(agent_sources[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", PYROMETER_SRC, agent_sources[i]);
		if (stat(path, &src) == 0 && src.st_mtime > st.st_mtime)
			return 0;
	}
	return 1;
}

static void self_dir(char *out, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", out, n - 1);
	char *slash;

	out[len > 0 ? len : 0] = '\0';
	slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
}

static void cache_dir(char *out, size_t n)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		snprintf(out, n, "%s/pyrometer/agent", xdg);
	else
		snprintf(out, n, "%s/.cache/pyrometer/agent", home && *home ? home : "/tmp");
}

int cli_agent_find(const char *python, int native, char *dir, size_t n, char *version, size_t vn)
{
	char key[256], base[PATH_MAX], script[PATH_MAX], out[PATH_MAX + 64];
	const char *env = getenv("PYROMETER_AGENT_DIR");
	int rc;

	rc = agent_key(python, key, sizeof(key), version, vn);
	if (rc < 0)
		return rc;
	if (env && *env) {
		snprintf(dir, n, "%s/%s", env, key);
		if (agent_usable(dir, native))
			return 0;
	}
	self_dir(base, sizeof(base));
	snprintf(dir, n, "%s/agent/%s", base, key);
	if (agent_usable(dir, native))
		return 0;
	cache_dir(base, sizeof(base));
	snprintf(dir, n, "%s/%s", base, key);
	if (agent_usable(dir, native))
		return 0;
	snprintf(script, sizeof(script), "%s/tools/build_agent.sh", PYROMETER_SRC);
	if (!PYROMETER_SRC[0] || access(script, R_OK) < 0)
		return pyro_err_set(ENOENT, "--memory: no memory agent is built for Python %s (%s), and the sources "
				    "to build one are not at %s; in a pyrometer source tree run: "
				    "tools/build_agent.sh %s %s",
				    version, python, PYROMETER_SRC[0] ? PYROMETER_SRC : "(unknown)", python, base);
	fprintf(stderr, "pyrometer: building the memory agent for Python %s into %s (once)\n", version, base);
	{
		char *argv[] = { "sh", script, (char *)python, base, NULL };

		if (run_capture(argv, out, sizeof(out), 0) != 0 || !agent_usable(dir, native))
			return pyro_err_set(ENOENT, "--memory: could not build the memory agent for Python %s (see the "
					    "message above); the command was: sh %s %s %s",
					    version, script, python, base);
	}
	return 0;
}

/* Set var to value, first saving its old value (or its absence) where the
 * bootstrap finds it: "=VALUE" or "-". */
static int set_saved(const char *var, const char *value, int prepend)
{
	const char *old = getenv(var);
	char saved_name[64], *saved, *joined;
	int rc;

	snprintf(saved_name, sizeof(saved_name), "PYROMETER_AGENT_SAVED_%s", var);
	if (asprintf(&saved, "%s%s", old ? "=" : "-", old ? old : "") < 0)
		return -ENOMEM;
	if (prepend && old && *old) {
		if (asprintf(&joined, "%s%s%s", value, prepend == ':' ? ":" : " ", old) < 0) {
			free(saved);
			return -ENOMEM;
		}
	} else if (!(joined = strdup(value))) {
		free(saved);
		return -ENOMEM;
	}
	rc = setenv(saved_name, saved, 1) < 0 || setenv(var, joined, 1) < 0 ? -errno : 0;
	free(saved);
	free(joined);
	return rc;
}

int cli_memory_prepare(struct cli_memory *m, char *const argv[])
{
	char python[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 32], opts[128];
	int rc;

	rc = find_interpreter(argv, python, sizeof(python));
	if (rc < 0)
		return rc;
	/* A #! line naming something else (pyenv's shims are bash scripts
	 * that run the interpreter): ask the command itself. */
	if (which(argv[0], path, sizeof(path)) == 0 && strcmp(path, python) != 0 &&
	    agent_key(python, dir, sizeof(dir), m->version, sizeof(m->version)) < 0) {
		pyro_err_clear();
		if (strlen(path) >= sizeof(python))
			return pyro_err_set(ENAMETOOLONG, "--memory: %s: path too long", argv[0]);
		memcpy(python, path, strlen(path) + 1);
	}
	rc = cli_agent_find(python, m->native, dir, sizeof(dir), m->version, sizeof(m->version));
	if (rc < 0)
		return rc;
	{
		const char *tmp = getenv("TMPDIR");
		int fd;

		snprintf(m->agent_out, sizeof(m->agent_out), "%s/pyrometer-memory-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		fd = mkstemp(m->agent_out);
		if (fd < 0)
			return pyro_err_set(errno, "--memory: cannot create a file in %s: %s", tmp && *tmp ? tmp : "/tmp",
					    strerror(errno));
		close(fd);
		unlink(m->agent_out); /* the agent creates it; its absence says the agent never started */
	}
	snprintf(path, sizeof(path), "%s/boot", dir);
	snprintf(opts, sizeof(opts), "sample_bytes=%llu,exact=%d,native=%d", (unsigned long long)m->sample_bytes, m->exact,
		 m->native);
	if (set_saved("PYTHONPATH", path, ':') < 0 || setenv("PYROMETER_AGENT_OUT", m->agent_out, 1) < 0 ||
	    setenv("PYROMETER_AGENT_OPTS", opts, 1) < 0)
		return pyro_err_set(ENOMEM, "--memory: cannot set the environment");
	if (m->native) {
		snprintf(path, sizeof(path), "%s/libpyrometer_native.so", dir);
		if (set_saved("LD_PRELOAD", path, ' ') < 0)
			return pyro_err_set(ENOMEM, "--memory: cannot set the environment");
	}
	return 0;
}

int cli_memory_merge(struct pyro_writer *w, uint64_t start_real_ns, void *arg)
{
	struct cli_memory *m = arg;
	struct pyro_profile a;
	int rc;

	if (access(m->agent_out, F_OK) < 0)
		return pyro_err_set(ENOENT, "--memory: the program wrote no memory data (it did not start the agent: "
				    "was it run by the Python %s found at launch, and without -I or -E?)", m->version);
	rc = pyro_profile_read(m->agent_out, &a);
	if (rc < 0)
		return pyro_err_prefix(rc, "--memory: the agent's file");
	rc = pyro_writer_merge_memory(w, &a, a.header.start_ns > start_real_ns ? a.header.start_ns - start_real_ns : 0);
	if (rc == 0) {
		m->merged = 1;
		if (a.memory.flags & PYRO_MEM_DISABLED)
			fprintf(stderr, "pyrometer: the memory agent turned itself off: %s\n", a.memory.message);
		unlink(m->agent_out);
	}
	pyro_profile_release(&a);
	return rc < 0 ? pyro_err_prefix(rc, "--memory: merging %s (kept)", m->agent_out) : 0;
}
