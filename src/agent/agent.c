/*
 * agent.c - pyrometer._agent, the in-process memory agent: it hooks the raw,
 * mem and object allocator domains (PyMem_SetAllocator), hands every
 * allocation to the tracker's byte sampler, and for a sampled one reads the
 * calling thread's Python stack in place (frame chain and code objects,
 * nothing created, nothing allocated).
 *
 * The hooks may run without the GIL (the raw domain) and from any thread:
 * they read only the calling thread's own frames, which no other thread
 * changes, and the tracker's lock guards the rest. They never raise and
 * never change what the allocator returns; when the agent fails it turns
 * itself off and says so on stderr.
 *
 * Built once per interpreter (its frame layout differs by version); the
 * internal headers of 3.11+ are that interpreter's own.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>
#if PY_VERSION_HEX >= 0x030B0000
#define Py_BUILD_CORE 1
#include <internal/pycore_frame.h>
#undef Py_BUILD_CORE
#endif

#include "agent/tracker.h"
#include "util/err.h"
#include "util/utf8.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* An allocator domain: the allocator it had, and the largest request its
 * hook may pass on with no guard. pymalloc serves requests of up to 512
 * bytes from its own pools (less with the debug hooks' padding: 256 leaves
 * room) and hands larger ones to the raw domain, whose hook must then not
 * count them a second time; so the object and mem hooks guard larger
 * requests, and the raw domain, which nothing is under, guards none. */
struct domain {
	PyMemAllocatorDomain which;
	size_t unguarded_max;
	PyMemAllocatorEx orig;
	int hooked;
};

static struct domain domains[3] = { { PYMEM_DOMAIN_RAW, SIZE_MAX }, { PYMEM_DOMAIN_MEM, 256 }, { PYMEM_DOMAIN_OBJ, 256 } };
static int reported_failure;

/* --- the calling thread's Python stack ---------------------------------- */

static void code_frame(PyCodeObject *co, int line, struct trk_pyframe *out)
{
	out->code = co;
#if PY_VERSION_HEX >= 0x030B0000
	out->name_obj = co->co_qualname;
#else
	out->name_obj = co->co_name;
#endif
	out->file_obj = co->co_filename;
	out->first_line = co->co_firstlineno;
	out->line = line;
}

#if PY_VERSION_HEX >= 0x030B0000
static int frame_complete(_PyInterpreterFrame *f)
{
#if PY_VERSION_HEX >= 0x030D0000
	if (f->owner == FRAME_OWNED_BY_CSTACK || !PyCode_Check(f->f_executable))
		return 0;
#elif PY_VERSION_HEX >= 0x030C0000
	if (f->owner == FRAME_OWNED_BY_CSTACK)
		return 0;
#endif
	return !_PyFrame_IsIncomplete(f);
}
#endif

/* Leaf first; returns the number of frames. */
static int capture(struct trk_pyframe *out, int max)
{
	PyThreadState *ts = PyGILState_GetThisThreadState();
	int n = 0;

	if (!ts)
		return 0;
#if PY_VERSION_HEX >= 0x030D0000
	for (_PyInterpreterFrame *f = ts->current_frame; f && n < max; f = f->previous) {
		if (!frame_complete(f))
			continue;
		code_frame((PyCodeObject *)f->f_executable, PyUnstable_InterpreterFrame_GetLine(f), &out[n++]);
	}
#elif PY_VERSION_HEX >= 0x030B0000
	if (!ts->cframe)
		return 0;
	for (_PyInterpreterFrame *f = ts->cframe->current_frame; f && n < max; f = f->previous) {
		if (!frame_complete(f))
			continue;
		code_frame(f->f_code, PyCode_Addr2Line(f->f_code, _PyInterpreterFrame_LASTI(f) * (int)sizeof(_Py_CODEUNIT)),
			   &out[n++]);
	}
#else
	for (PyFrameObject *f = ts->frame; f && n < max; f = f->f_back)
		code_frame(f->f_code, PyFrame_GetLineNumber(f), &out[n++]);
#endif
	return n;
}

/* A str's text as UTF-8, read in place (no allocation, no GIL needed:
 * code objects' names are immutable and alive while their frame runs). */
static void str_utf8(const void *obj, char *out, size_t cap)
{
	PyObject *s = (PyObject *)obj;
	size_t len, i, o = 0;
	unsigned kind;
	const uint8_t *data;

	out[0] = '\0';
	if (!s || !PyUnicode_Check(s) || !PyUnicode_IS_READY(s))
		return;
	len = (size_t)PyUnicode_GET_LENGTH(s);
	kind = (unsigned)PyUnicode_KIND(s);
	data = PyUnicode_DATA(s);
	for (i = 0; i < len && o + 5 < cap; i++) {
		uint32_t c = pyro_unit_at(data, i, kind);

		if (c >= 0xD800 && c < 0xE000)
			c = '?';
		o += pyro_utf8_encode(c, out + o);
	}
	out[o] = '\0';
}

static void describe(const struct trk_pyframe *f, char *name, size_t name_cap, char *file, size_t file_cap)
{
	str_utf8(f->name_obj, name, name_cap);
	str_utf8(f->file_obj, file, file_cap);
}

/* --- the hooks ----------------------------------------------------------- */

static void report_failure(void)
{
	const char *why = trk_failure();

	if (why && !reported_failure) {
		reported_failure = 1;
		fprintf(stderr, "pyrometer: memory agent disabled: %s (the program runs on untracked)\n", why);
	}
}

/* A sampled allocation: its stack, read here, out of the hooks' fast path
 * (the frame buffer is 8 KiB of stack). */
static __attribute__((noinline)) void record_sampled(void *p, uint64_t weight)
{
	struct trk_pyframe frames[TRK_MAX_DEPTH];
	int nf;

	trk_in_agent++;
	nf = capture(frames, TRK_MAX_DEPTH);
	trk_in_agent--;
	trk_alloc(p, weight, frames, nf);
}

/* After an allocation the hook's fast path did not settle (and every one
 * the native interposer reports): sample it; a sampled one made while the
 * agent runs (a block pymalloc asked the raw domain for, in a hook already
 * counting it, or the agent's own) is dropped. */
static inline void record(void *p, size_t n)
{
	uint64_t weight;

	if (!p)
		return;
	weight = trk_sample(n);
	if (__builtin_expect(weight != 0, 0) && !trk_in_agent)
		record_sampled(p, weight);
}

/* The hooks' common case is an allocation that is not sampled and needs no
 * guard: counted down inline and passed on as a tail call. The rest come
 * here, out of line. */
static __attribute__((noinline)) void *malloc_counted(struct domain *d, size_t n)
{
	void *p;

	trk_in_agent++;
	p = d->orig.malloc(d->orig.ctx, n);
	trk_in_agent--;
	record(p, n);
	return p;
}

static __attribute__((noinline)) void *calloc_counted(struct domain *d, size_t nelem, size_t elsize)
{
	void *p;

	trk_in_agent++;
	p = d->orig.calloc(d->orig.ctx, nelem, elsize);
	trk_in_agent--;
	record(p, nelem * elsize);
	return p;
}

static void *hook_malloc(void *ctx, size_t n)
{
	struct domain *d = ctx;

	if (__builtin_expect(n <= d->unguarded_max && trk_skip(n), 1))
		return d->orig.malloc(d->orig.ctx, n);
	return malloc_counted(d, n);
}

static void *hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
	struct domain *d = ctx;
	size_t n;

	if (__builtin_expect(!__builtin_mul_overflow(nelem, elsize, &n) && n <= d->unguarded_max && trk_skip(n), 1))
		return d->orig.calloc(d->orig.ctx, nelem, elsize);
	return calloc_counted(d, nelem, elsize);
}

static void *hook_realloc(void *ctx, void *ptr, size_t n)
{
	struct domain *d = ctx;
	void *p;

	/* Forget the old block first: once realloc returns, its address may be
	 * handed to another thread. Always guarded: pymalloc may move a block
	 * of any size to or from the raw domain. */
	trk_free(ptr);
	trk_in_agent++;
	p = d->orig.realloc(d->orig.ctx, ptr, n);
	trk_in_agent--;
	record(p, n);
	return p;
}

static __attribute__((noinline)) void free_sampled(struct domain *d, void *ptr)
{
	trk_free_slow(ptr);
	d->orig.free(d->orig.ctx, ptr);
}

/* Unguarded: a large block pymalloc passes on to the raw domain was
 * forgotten here already, so the raw hook finds nothing to do. */
static void hook_free(void *ctx, void *ptr)
{
	struct domain *d = ctx;

	if (__builtin_expect(trk_maybe_sampled(ptr), 0))
		free_sampled(d, ptr);
	else
		d->orig.free(d->orig.ctx, ptr);
}

/* --- native allocations (--memory=native) --------------------------------
 * libpyrometer_native.so, preloaded, interposes malloc and friends and calls
 * these for every block; the guard drops those made inside a Python
 * allocator hook or the agent itself, so nothing is counted twice. */

struct pyro_native_sink {
	void (*alloc)(void *p, size_t n);
	void (*free)(void *p);
};

static void native_alloc(void *p, size_t n)
{
	record(p, n);
}

static void native_free(void *p)
{
	trk_free(p);
}

static const struct pyro_native_sink sink = { native_alloc, native_free };

static int native_connect(int on)
{
	void (*set)(const struct pyro_native_sink *) = (void (*)(const struct pyro_native_sink *))dlsym(RTLD_DEFAULT,
												    "pyro_native_set_sink");

	if (!set)
		return -1;
	set(on ? &sink : NULL);
	return 0;
}

#ifdef PYRO_AGENT_FORWARD_ONLY
/* bench/memory's measure of the hook mechanism's own cost: hooks that only
 * pass every call on (nothing is sampled or recorded). */
static void *forward_malloc(void *ctx, size_t n)
{
	struct domain *d = ctx;

	return d->orig.malloc(d->orig.ctx, n);
}

static void *forward_calloc(void *ctx, size_t nelem, size_t elsize)
{
	struct domain *d = ctx;

	return d->orig.calloc(d->orig.ctx, nelem, elsize);
}

static void *forward_realloc(void *ctx, void *ptr, size_t n)
{
	struct domain *d = ctx;

	return d->orig.realloc(d->orig.ctx, ptr, n);
}

static void forward_free(void *ctx, void *ptr)
{
	struct domain *d = ctx;

	d->orig.free(d->orig.ctx, ptr);
}
#define HOOKS { NULL, forward_malloc, forward_calloc, forward_realloc, forward_free }
static const PyMemAllocatorEx unused_hooks __attribute__((unused)) = { NULL, hook_malloc, hook_calloc, hook_realloc,
								      hook_free };
#else
#define HOOKS { NULL, hook_malloc, hook_calloc, hook_realloc, hook_free }
#endif

static void install_hooks(int native)
{
	PyMemAllocatorEx h = HOOKS;
	size_t i;

	for (i = 0; i < 3; i++) {
		struct domain *d = &domains[i];

		if (d->hooked)
			continue;
		/* With malloc itself watched, the raw domain (plain malloc) is
		 * seen there; hooking it too would only add a call. */
		if (native && d->which == PYMEM_DOMAIN_RAW)
			continue;
		PyMem_GetAllocator(d->which, &d->orig);
		h.ctx = d;
		PyMem_SetAllocator(d->which, &h);
		d->hooked = 1;
	}
}

/* --- the module ---------------------------------------------------------- */

static char *dup_utf8(PyObject *o)
{
	const char *s = PyUnicode_AsUTF8(o);

	return s ? strdup(s) : NULL;
}

static PyObject *agent_start(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *names[] = { "path", "sample_bytes", "exact", "native", "churn_ms", "argv", "seed", NULL };
	PyObject *path_obj = Py_None, *argv_obj = Py_None, *result = NULL;
	unsigned long long sample = 0, seed = 0;
	int exact = 0, native = 0;
	double churn_ms = 0;
	struct pyro_header h;
	struct trk_opts o;
	struct timespec now;
	char version[32], *path = NULL;
	Py_ssize_t i, argc = 0;
	int rc;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OKppdOK", names, &path_obj, &sample, &exact, &native, &churn_ms,
					 &argv_obj, &seed))
		return NULL;
	memset(&h, 0, sizeof(h));
	memset(&o, 0, sizeof(o));
	if (path_obj != Py_None) {
		PyObject *b;

		if (!PyUnicode_FSConverter(path_obj, &b))
			return NULL;
		path = strdup(PyBytes_AS_STRING(b));
		Py_DECREF(b);
		if (!path)
			return PyErr_NoMemory();
	}
	if (native && native_connect(1) < 0) {
		PyErr_SetString(PyExc_RuntimeError, "native memory tracking needs libpyrometer_native.so preloaded "
						    "(LD_PRELOAD); pyrometer record --memory=native does that");
		goto out;
	}
	if (argv_obj != Py_None) {
		if (!PyList_Check(argv_obj)) {
			PyErr_SetString(PyExc_TypeError, "argv must be a list of str");
			goto out;
		}
		argc = PyList_GET_SIZE(argv_obj);
		if (argc > PYRO_MAX_ARGS)
			argc = PYRO_MAX_ARGS;
		h.argv = calloc((size_t)argc + 1, sizeof(char *));
		if (!h.argv) {
			PyErr_NoMemory();
			goto out;
		}
		for (i = 0; i < argc; i++) {
			PyObject *a = PyList_GET_ITEM(argv_obj, i);

			if (!PyUnicode_Check(a) || !(h.argv[i] = dup_utf8(a))) {
				if (!PyErr_Occurred())
					PyErr_SetString(PyExc_TypeError, "argv must be a list of str");
				goto out;
			}
			h.argc++;
		}
	}
	snprintf(version, sizeof(version), "%d.%d.%d", PY_MAJOR_VERSION, PY_MINOR_VERSION, PY_MICRO_VERSION);
	h.producer = "pyrometer-agent " PYROMETER_VERSION;
	h.python_version = version;
	h.pid = (uint64_t)getpid();
	clock_gettime(CLOCK_REALTIME, &now);
	h.start_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	o.sample_bytes = sample;
	o.exact = exact;
	o.native = native;
	o.churn_ns = (uint64_t)(churn_ms * 1e6);
	o.seed = seed;
	install_hooks(native);
	rc = trk_start(path, &h, &o, describe);
	if (rc < 0) {
		PyErr_SetString(rc == -EBUSY ? PyExc_RuntimeError : PyExc_OSError, pyro_err_msg());
		goto out;
	}
	reported_failure = 0;
	result = Py_None;
	Py_INCREF(result);
out:
	for (i = 0; i < (Py_ssize_t)h.argc; i++)
		free(h.argv[i]);
	free(h.argv);
	free(path);
	return result;
}

static PyObject *agent_stop(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *names[] = { "ended", NULL };
	int ended = 0, rc;

	(void)self;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|p", names, &ended))
		return NULL;
	rc = trk_stop(ended);
	native_connect(0);
	report_failure();
	if (rc < 0 && !trk_failure()) {
		PyErr_SetString(PyExc_OSError, pyro_err_msg());
		return NULL;
	}
	Py_RETURN_NONE;
}

static PyObject *frame_tuple(const struct pyro_profile *t, uint32_t stack)
{
	const struct pyro_frame *f;

	if (stack == PYRO_NO_ID || stack >= t->nstacks)
		return Py_BuildValue("(ssii)", "(no Python frame)", "", 0, 0);
	f = &t->frames[t->stacks[stack].frame];
	return Py_BuildValue("(ssii)", pyro_profile_str(t, f->name), pyro_profile_str(t, f->file), f->first_line, f->line);
}

static PyObject *stack_list(const struct pyro_profile *t, uint32_t stack)
{
	PyObject *l = PyList_New(0);
	int depth = 0;

	while (l && stack != PYRO_NO_ID && stack < t->nstacks && depth++ < TRK_MAX_DEPTH) {
		PyObject *fr = frame_tuple(t, stack);

		if (!fr || PyList_Append(l, fr) < 0) {
			Py_XDECREF(fr);
			Py_DECREF(l);
			return NULL;
		}
		Py_DECREF(fr);
		stack = t->stacks[stack].parent;
	}
	return l;
}

/* stats() -> dict: totals and every site (bytes are estimates unless exact). */
static PyObject *agent_stats(PyObject *self, PyObject *unused)
{
	PyObject *d = NULL, *sites = NULL;
	struct trk_view v;
	size_t i;

	(void)self;
	(void)unused;
	if (trk_view(&v) < 0) {
		PyErr_SetString(PyExc_RuntimeError, pyro_err_msg());
		return NULL;
	}
	sites = PyList_New(0);
	for (i = 0; sites && i < v.nsites; i++) {
		const struct pyro_mem_site *s = &v.sites[i];
		PyObject *stack = stack_list(v.tables, s->stack);
		PyObject *e = stack ? Py_BuildValue("{sNsKsKsKsKsKsK}", "stack", stack, "allocations",
						    (unsigned long long)s->allocs, "allocated", (unsigned long long)s->alloc_bytes,
						    "freed", (unsigned long long)s->freed_bytes, "temporary",
						    (unsigned long long)s->temp_bytes, "live", (unsigned long long)s->live_bytes,
						    "at_peak", (unsigned long long)s->peak_bytes)
				    : NULL;

		if (!e || PyList_Append(sites, e) < 0) {
			Py_XDECREF(e);
			Py_CLEAR(sites);
		}
		Py_XDECREF(e);
	}
	if (sites)
		d = Py_BuildValue("{sKsKsdsdsKsOsO}", "live", (unsigned long long)v.live_bytes, "peak",
				  (unsigned long long)v.peak_bytes, "peak_time", (double)v.peak_time_ns / 1e9, "time",
				  (double)v.time_ns / 1e9, "sample_bytes", (unsigned long long)(v.exact ? 1 : v.sample_bytes),
				  "exact", v.exact ? Py_True : Py_False, "sites", sites);
	trk_view_end(&v);
	Py_XDECREF(sites);
	return d;
}

static PyObject *agent_active(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	report_failure();
	return PyBool_FromLong(trk_active);
}

static PyMethodDef methods[] = {
	{ "start", (PyCFunction)(void (*)(void))agent_start, METH_VARARGS | METH_KEYWORDS,
	  "start(path=None, sample_bytes=0, exact=False, native=False, churn_ms=0, argv=None, seed=0)\n"
	  "Track allocations, writing a .pyro stream to path (None: in memory only)." },
	{ "stop", (PyCFunction)(void (*)(void))agent_stop, METH_VARARGS | METH_KEYWORDS,
	  "stop(ended=False)\nFinish the file; ended: the program is exiting (live blocks leaked)." },
	{ "stats", agent_stats, METH_NOARGS, "stats() -> dict of totals and sites." },
	{ "active", agent_active, METH_NOARGS, "active() -> whether allocations are being tracked." },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = { PyModuleDef_HEAD_INIT, "_agent", "pyrometer's in-process memory agent.", -1, methods,
				     NULL, NULL, NULL, NULL };

__attribute__((visibility("default"))) PyMODINIT_FUNC PyInit__agent(void)
{
	PyObject *m = PyModule_Create(&module);

	if (m && (PyModule_AddStringConstant(m, "VERSION", PYROMETER_VERSION) < 0 ||
		  PyModule_AddIntConstant(m, "DEFAULT_SAMPLE_BYTES", TRK_DEFAULT_SAMPLE) < 0)) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
