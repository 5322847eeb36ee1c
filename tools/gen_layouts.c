/*
 * gen_layouts.c - print one CPython version's struct offsets as a C
 * initializer for src/cpython/layouts_gen.c.
 *
 * Compiled once per version against that version's own headers, internal
 * ones included (tools/gen_layouts.sh does this), so the offsets are the
 * compiler's, not ours. Never linked into pyrometer. Covers 3.6 to 3.12;
 * 3.13+ is read from the target's own _Py_DebugOffsets.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <frameobject.h>
#if PY_VERSION_HEX >= 0x030b0000
#include <internal/pycore_frame.h>
#endif
#if PY_VERSION_HEX >= 0x03090000
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#elif PY_VERSION_HEX >= 0x03080000
#include <internal/pycore_pystate.h>
#elif PY_VERSION_HEX >= 0x03070000
#include <internal/pystate.h>
#endif
#include <stddef.h>
#include <stdio.h>

#if PY_VERSION_HEX < 0x03060000 || PY_VERSION_HEX >= 0x030d0000
#error "gen_layouts.c covers 3.6 to 3.12; 3.13+ is read from _Py_DebugOffsets"
#endif

#define OFF(type, field) ((unsigned)offsetof(type, field))

int main(void)
{
	printf("\t{\n");
	printf("\t\t.version = 0x%02x%02x, /* %s */\n", PY_MAJOR_VERSION, PY_MINOR_VERSION, PY_VERSION);
	printf("\t\t.runtime = {\n");
#if PY_VERSION_HEX >= 0x03070000
	printf("\t\t\t.symbol = \"_PyRuntime\",\n");
	printf("\t\t\t.interpreters_head = %u,\n", OFF(_PyRuntimeState, interpreters.head));
#else
	/* 3.6: a static `PyInterpreterState *interp_head` in pystate.c. */
	printf("\t\t\t.symbol = \"interp_head\",\n");
	printf("\t\t\t.interpreters_head = 0,\n");
#endif
	printf("\t\t},\n\t\t.interp = {\n");
	printf("\t\t\t.next = %u,\n", OFF(PyInterpreterState, next));
#if PY_VERSION_HEX >= 0x030b0000
	printf("\t\t\t.threads_head = %u,\n", OFF(PyInterpreterState, threads.head));
#else
	printf("\t\t\t.threads_head = %u,\n", OFF(PyInterpreterState, tstate_head));
#endif
#if PY_VERSION_HEX >= 0x03070000
	printf("\t\t\t.id = %u,\n", OFF(PyInterpreterState, id));
#else
	printf("\t\t\t.id = CPY_FIELD_NONE,\n");
#endif
	printf("\t\t},\n\t\t.tstate = {\n");
	printf("\t\t\t.size = %u,\n", (unsigned)sizeof(PyThreadState));
	printf("\t\t\t.next = %u,\n", OFF(PyThreadState, next));
	printf("\t\t\t.interp = %u,\n", OFF(PyThreadState, interp));
	printf("\t\t\t.thread_id = %u,\n", OFF(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030b0000
	printf("\t\t\t.native_thread_id = %u,\n", OFF(PyThreadState, native_thread_id));
	printf("\t\t\t.frame = %u,\n", OFF(PyThreadState, cframe));
	printf("\t\t\t.frame_link = CPY_FRAME_VIA_CFRAME,\n");
	printf("\t\t\t.cframe_current_frame = %u,\n", OFF(_PyCFrame, current_frame));
#else
	printf("\t\t\t.native_thread_id = CPY_FIELD_NONE,\n");
	printf("\t\t\t.frame = %u,\n", OFF(PyThreadState, frame));
	printf("\t\t\t.frame_link = CPY_FRAME_DIRECT,\n");
	printf("\t\t\t.cframe_current_frame = CPY_FIELD_NONE,\n");
#endif
	printf("\t\t},\n\t\t.frame = {\n");
#if PY_VERSION_HEX >= 0x030b0000
	printf("\t\t\t.size = %u,\n", OFF(_PyInterpreterFrame, owner) + 1);
	printf("\t\t\t.previous = %u,\n", OFF(_PyInterpreterFrame, previous));
	printf("\t\t\t.code = %u,\n", OFF(_PyInterpreterFrame, f_code));
	printf("\t\t\t.instr = %u,\n", OFF(_PyInterpreterFrame, prev_instr));
	printf("\t\t\t.instr_kind = CPY_INSTR_PREV,\n");
	printf("\t\t\t.owner = %u,\n", OFF(_PyInterpreterFrame, owner));
#if PY_VERSION_HEX >= 0x030c0000
	printf("\t\t\t.owner_cstack = %u,\n", (unsigned)FRAME_OWNED_BY_CSTACK);
#else
	printf("\t\t\t.owner_cstack = 0xff,\n");
#endif
#else
	/* PyFrameObject: f_lasti is the last instruction started, in bytes
	 * until 3.9 and in code units in 3.10. No shim frames, no owner. */
	printf("\t\t\t.size = %u,\n", OFF(PyFrameObject, f_lasti) + (unsigned)sizeof(int));
	printf("\t\t\t.previous = %u,\n", OFF(PyFrameObject, f_back));
	printf("\t\t\t.code = %u,\n", OFF(PyFrameObject, f_code));
	printf("\t\t\t.instr = %u,\n", OFF(PyFrameObject, f_lasti));
#if PY_VERSION_HEX >= 0x030a0000
	printf("\t\t\t.instr_kind = CPY_INSTR_LASTI_UNITS,\n");
#else
	printf("\t\t\t.instr_kind = CPY_INSTR_LASTI_BYTES,\n");
#endif
	printf("\t\t\t.owner = CPY_FIELD_NONE,\n");
	printf("\t\t\t.owner_cstack = 0xff,\n");
#endif
	printf("\t\t},\n\t\t.code = {\n");
	printf("\t\t\t.size = %u,\n", (unsigned)sizeof(PyCodeObject));
	printf("\t\t\t.filename = %u,\n", OFF(PyCodeObject, co_filename));
	printf("\t\t\t.name = %u,\n", OFF(PyCodeObject, co_name));
	printf("\t\t\t.firstlineno = %u,\n", OFF(PyCodeObject, co_firstlineno));
#if PY_VERSION_HEX >= 0x030b0000
	printf("\t\t\t.qualname = %u,\n", OFF(PyCodeObject, co_qualname));
	printf("\t\t\t.linetable = %u,\n", OFF(PyCodeObject, co_linetable));
	printf("\t\t\t.linetable_kind = CPY_LINETABLE_311,\n");
	printf("\t\t\t.code_adaptive = %u,\n", OFF(PyCodeObject, co_code_adaptive));
	printf("\t\t\t.code_bytes = CPY_FIELD_NONE,\n");
#elif PY_VERSION_HEX >= 0x030a0000
	printf("\t\t\t.qualname = CPY_FIELD_NONE,\n");
	printf("\t\t\t.linetable = %u,\n", OFF(PyCodeObject, co_linetable));
	printf("\t\t\t.linetable_kind = CPY_LINETABLE_310,\n");
	printf("\t\t\t.code_adaptive = CPY_FIELD_NONE,\n");
	printf("\t\t\t.code_bytes = %u,\n", OFF(PyCodeObject, co_code));
#else
	printf("\t\t\t.qualname = CPY_FIELD_NONE,\n");
	printf("\t\t\t.linetable = %u,\n", OFF(PyCodeObject, co_lnotab));
	printf("\t\t\t.linetable_kind = CPY_LINETABLE_LNOTAB,\n");
	printf("\t\t\t.code_adaptive = CPY_FIELD_NONE,\n");
	printf("\t\t\t.code_bytes = %u,\n", OFF(PyCodeObject, co_code));
#endif
	printf("\t\t},\n\t\t.object = {\n");
	printf("\t\t\t.ob_type = %u,\n", OFF(PyObject, ob_type));
	printf("\t\t\t.ob_size = %u,\n", OFF(PyVarObject, ob_size));
	printf("\t\t},\n\t\t.unicode = {\n");
	printf("\t\t\t.state = %u,\n", OFF(PyASCIIObject, state));
	printf("\t\t\t.length = %u,\n", OFF(PyASCIIObject, length));
	printf("\t\t\t.ascii_size = %u,\n", (unsigned)sizeof(PyASCIIObject));
	printf("\t\t\t.compact_size = %u,\n", (unsigned)sizeof(PyCompactUnicodeObject));
	printf("\t\t},\n\t\t.bytes = {\n");
	printf("\t\t\t.ob_size = %u,\n", OFF(PyBytesObject, ob_base.ob_size));
	printf("\t\t\t.ob_sval = %u,\n", OFF(PyBytesObject, ob_sval));
	printf("\t\t},\n\t\t.gil = {\n");
#if PY_VERSION_HEX >= 0x030c0000
	printf("\t\t\t.kind = CPY_GIL_INTERP,\n");
	printf("\t\t\t.at = %u,\n", OFF(PyInterpreterState, ceval.gil));
#elif PY_VERSION_HEX >= 0x03070000
	printf("\t\t\t.kind = CPY_GIL_RUNTIME,\n");
	printf("\t\t\t.at = %u,\n", OFF(_PyRuntimeState, ceval.gil));
#endif
#if PY_VERSION_HEX >= 0x03070000
	printf("\t\t\t.locked = %u,\n", OFF(struct _gil_runtime_state, locked));
	printf("\t\t\t.holder = %u,\n", OFF(struct _gil_runtime_state, last_holder));
	printf("\t\t\t.size = %u,\n", (unsigned)sizeof(struct _gil_runtime_state));
#else
	/* 3.6: static variables of ceval.c (gil_locked, gil_last_holder,
	 * gil_mutex, gil_cond), found by name at attach. */
	printf("\t\t\t.kind = CPY_GIL_SYMBOLS,\n");
	printf("\t\t\t.at = CPY_FIELD_NONE,\n");
	printf("\t\t\t.locked = CPY_FIELD_NONE,\n");
	printf("\t\t\t.holder = CPY_FIELD_NONE,\n");
	printf("\t\t\t.size = 0,\n");
#endif
	printf("\t\t},\n\t},\n");
	return 0;
}
