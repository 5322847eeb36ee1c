/*
 * host.c - a program that embeds CPython, as a target for the end-to-end tests.
 *
 *     host SCRIPT SECONDS
 *
 * Runs the Python file SCRIPT four times at once, once per role, so that a
 * profiler sees each way an embedding application runs Python code:
 *
 *   main    the main thread, in the main interpreter;
 *   thread  a thread started here with pthread_create that enters the main
 *           interpreter through PyGILState_Ensure;
 *   sub1    a thread running in a sub-interpreter made by Py_NewInterpreter,
 *   sub2    each through a thread state of its own (PyThreadState_New).
 *
 * Each run gets the globals ROLE (the role's name) and SECONDS, and is
 * compiled under SCRIPT's own path, so its frames carry file and line
 * (tests/targets/embedded.py busies a different function per role). Then the
 * sub-interpreters are ended on the thread states that own them, Python is
 * finalised, and one JSON line goes to stdout: the pid, the version and, per
 * role, the kernel's thread id, the interpreter id (-1 on 3.6, which has
 * none) and whether the script ran without an exception. The exit status is
 * 0 only if every role ran and Py_FinalizeEx succeeded.
 *
 * It must build against every CPython from 3.6 to 3.13 (the API differences
 * are under PY_VERSION_HEX) and must not hold the GIL while it waits for its
 * threads. Build (the test takes the flags from the interpreter's sysconfig):
 *     cc -I$INCLUDEPY host.c -L$LIBDIR -lpython$LDVERSION -Wl,-rpath,$LIBDIR -lpthread
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_SCRIPT_BYTES (1 << 20)

enum { ROLE_MAIN, ROLE_THREAD, ROLE_SUB1, ROLE_SUB2, NROLES };

struct role {
	const char *name;
	PyThreadState *owner;       /* sub-interpreters: the thread state Py_NewInterpreter
				     * returned, ended by Py_EndInterpreter; else NULL */
	PyInterpreterState *interp; /* borrowed from owner; NULL for the main interpreter */
	pthread_t thread;
	int started;                /* thread is running and must be joined */
	long tid;                   /* the kernel's id of the thread that ran the script */
	long long interp_id;        /* PyInterpreterState_GetID, -1 where there is none */
	int ok;                     /* the script ran to its end */
};

/* Set once in main() before any thread starts, read-only afterwards. */
static struct role roles[NROLES] = {
	{ .name = "main" }, { .name = "thread" }, { .name = "sub1" }, { .name = "sub2" },
};
static const char *script_path;
static char *script_source; /* owned, NUL-terminated */
static double seconds;

static long long current_interp_id(void)
{
#if PY_VERSION_HEX >= 0x03090000
	return (long long)PyInterpreterState_GetID(PyInterpreterState_Get());
#elif PY_VERSION_HEX >= 0x03070000
	return (long long)PyInterpreterState_GetID(PyThreadState_Get()->interp);
#else
	return -1; /* 3.6 interpreters have no id */
#endif
}

static PyInterpreterState *interp_of(PyThreadState *ts)
{
#if PY_VERSION_HEX >= 0x03090000
	return PyThreadState_GetInterpreter(ts);
#else
	return ts->interp;
#endif
}

static int set_item(PyObject *dict, const char *key, PyObject *value)
{
	int rc;

	if (!value)
		return -1;
	rc = PyDict_SetItemString(dict, key, value);
	Py_DECREF(value);
	return rc;
}

/*
 * Run the script as role r in the current thread state's interpreter. The
 * caller holds the GIL. Returns 1 if it ran to its end, else prints the
 * exception and returns 0.
 */
static int run_script(struct role *r)
{
	PyObject *globals, *code = NULL, *result = NULL;

	r->tid = (long)syscall(SYS_gettid);
	r->interp_id = current_interp_id();
	globals = PyDict_New();
	if (!globals)
		goto out;
	/* Without __builtins__ the code would get a minimal builtins of its own. */
	if (PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) < 0 ||
	    set_item(globals, "__name__", PyUnicode_FromString("__main__")) < 0 ||
	    set_item(globals, "__file__", PyUnicode_FromString(script_path)) < 0 ||
	    set_item(globals, "ROLE", PyUnicode_FromString(r->name)) < 0 ||
	    set_item(globals, "SECONDS", PyFloat_FromDouble(seconds)) < 0)
		goto out;
	code = Py_CompileString(script_source, script_path, Py_file_input);
	if (!code)
		goto out;
	result = PyEval_EvalCode(code, globals, globals);
out:
	if (!result) {
		fprintf(stderr, "host: role %s: the script failed:\n", r->name);
		if (PyErr_Occurred())
			PyErr_Print();
	}
	Py_XDECREF(result);
	Py_XDECREF(code);
	Py_XDECREF(globals);
	return result != NULL;
}

/* A C thread in the main interpreter: the GIL state API makes its thread state. */
static void *main_interp_thread(void *arg)
{
	struct role *r = arg;
	PyGILState_STATE g = PyGILState_Ensure();

	r->ok = run_script(r);
	PyGILState_Release(g);
	return NULL;
}

/*
 * A C thread in a sub-interpreter. The GIL state API is for the main
 * interpreter only, so the thread makes its own thread state (on this thread:
 * 3.12+ binds a thread state to the thread that creates it) and deletes it
 * before the owner ends the interpreter, which must by then be its last.
 */
static void *sub_interp_thread(void *arg)
{
	struct role *r = arg;
	PyThreadState *ts = PyThreadState_New(r->interp);

	if (!ts) {
		fprintf(stderr, "host: role %s: PyThreadState_New failed\n", r->name);
		return NULL;
	}
	PyEval_RestoreThread(ts); /* takes the GIL, shared by every interpreter here */
	r->ok = run_script(r);
	PyThreadState_Clear(ts);
	PyThreadState_DeleteCurrent(); /* and releases the GIL */
	return NULL;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;

	if (!f) {
		fprintf(stderr, "host: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_SCRIPT_BYTES + 1);
	if (!buf) {
		fprintf(stderr, "host: out of memory reading %s\n", path);
		goto out;
	}
	n = fread(buf, 1, MAX_SCRIPT_BYTES + 1, f);
	if (ferror(f) || n > MAX_SCRIPT_BYTES) {
		fprintf(stderr, "host: cannot read %s: %s\n", path,
			ferror(f) ? strerror(errno) : "larger than 1 MiB");
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
out:
	fclose(f);
	return buf;
}

static void print_result(int finalize_status)
{
	int i;

	printf("{\"host\": \"embed\", \"pid\": %d, \"python\": \"%s\", \"finalize\": %d, \"roles\": {",
	       (int)getpid(), PY_VERSION, finalize_status);
	for (i = 0; i < NROLES; i++)
		printf("%s\"%s\": {\"tid\": %ld, \"interp\": %lld, \"ok\": %s}", i ? ", " : "", roles[i].name,
		       roles[i].tid, roles[i].interp_id, roles[i].ok ? "true" : "false");
	printf("}}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	PyThreadState *main_ts, *saved;
	char *end;
	int i, status, all_ok = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SCRIPT SECONDS\n", argv[0]);
		return 2;
	}
	script_path = argv[1];
	seconds = strtod(argv[2], &end);
	if (*end || end == argv[2] || !(seconds >= 0 && seconds <= 3600)) {
		fprintf(stderr, "host: SECONDS must be a number from 0 to 3600, not %s\n", argv[2]);
		return 2;
	}
	script_source = read_file(script_path);
	if (!script_source)
		return 1;

	Py_Initialize();
#if PY_VERSION_HEX < 0x03070000
	PyEval_InitThreads(); /* 3.6 makes the GIL only on request; later versions in Py_Initialize */
#endif
	main_ts = PyThreadState_Get();

	/* Both sub-interpreters are made here, with the GIL held; each call makes
	 * the new interpreter's thread state current, so switch back. From 3.12,
	 * Py_NewInterpreter's legacy config still shares the main GIL. */
	for (i = ROLE_SUB1; i <= ROLE_SUB2; i++) {
		roles[i].owner = Py_NewInterpreter();
		if (!roles[i].owner) {
			fprintf(stderr, "host: Py_NewInterpreter failed for role %s\n", roles[i].name);
			PyThreadState_Swap(main_ts);
			all_ok = 0;
			continue;
		}
		roles[i].interp = interp_of(roles[i].owner);
		PyThreadState_Swap(main_ts);
	}

	/* The threads wait for the GIL, which this thread holds until it runs. */
	for (i = ROLE_THREAD; i < NROLES; i++) {
		void *(*fn)(void *) = i == ROLE_THREAD ? main_interp_thread : sub_interp_thread;
		int rc;

		if (i != ROLE_THREAD && !roles[i].interp)
			continue;
		rc = pthread_create(&roles[i].thread, NULL, fn, &roles[i]);
		if (rc) {
			fprintf(stderr, "host: cannot start the %s thread: %s\n", roles[i].name, strerror(rc));
			all_ok = 0;
			continue;
		}
		roles[i].started = 1;
	}

	roles[ROLE_MAIN].ok = run_script(&roles[ROLE_MAIN]);

	saved = PyEval_SaveThread();
	for (i = ROLE_THREAD; i < NROLES; i++)
		if (roles[i].started)
			pthread_join(roles[i].thread, NULL);
	PyEval_RestoreThread(saved);

	/* Each sub-interpreter is ended on the thread state that owns it, now its
	 * last; Py_EndInterpreter leaves no thread state current. */
	for (i = ROLE_SUB1; i <= ROLE_SUB2; i++) {
		if (!roles[i].owner)
			continue;
		PyThreadState_Swap(roles[i].owner);
		Py_EndInterpreter(roles[i].owner);
		PyThreadState_Swap(main_ts);
	}

	status = Py_FinalizeEx();
	print_result(status);
	for (i = 0; i < NROLES; i++)
		all_ok &= roles[i].ok;
	free(script_source);
	return all_ok && status == 0 ? 0 : 1;
}
