/*
 * gen_layouts.c - print one CPython version's struct offsets as a C
 * initializer for src/cpython/layouts_gen.c.
 *
 * Compiled once per version against that version's own headers, internal
 * ones included (tools/gen_layouts.sh does this), so the offsets are the
 * compiler's, not ours. Never linked into pyrometer.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <frameobject.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>
#include <stddef.h>
#include <stdio.h>

#if PY_VERSION_HEX < 0x030b0000 || PY_VERSION_HEX >= 0x030d0000
#error "gen_layouts.c covers 3.11 and 3.12; 3.13+ is read from _Py_DebugOffsets"
#endif


int main(void)
{
	size_t frame_end = offsetof(_PyInterpreterFrame, owner) + sizeof(char);

	printf("\t{\n");
	printf("\t\t.version = 0x%02x%02x, /* %s */\n", PY_MAJOR_VERSION, PY_MINOR_VERSION, PY_VERSION);
	printf("\t\t.runtime = {\n");
	printf("\t\t\t.interpreters_head = %u,\n", (unsigned)offsetof(_PyRuntimeState, interpreters.head));
	printf("\t\t},\n\t\t.interp = {\n");
	printf("\t\t\t.next = %u,\n", (unsigned)offsetof(PyInterpreterState, next));
	printf("\t\t\t.threads_head = %u,\n", (unsigned)offsetof(PyInterpreterState, threads.head));
	printf("\t\t\t.id = %u,\n", (unsigned)offsetof(PyInterpreterState, id));
	printf("\t\t},\n\t\t.tstate = {\n");
	printf("\t\t\t.size = %u,\n", (unsigned)sizeof(PyThreadState));
	printf("\t\t\t.next = %u,\n", (unsigned)offsetof(PyThreadState, next));
	printf("\t\t\t.interp = %u,\n", (unsigned)offsetof(PyThreadState, interp));
	printf("\t\t\t.thread_id = %u,\n", (unsigned)offsetof(PyThreadState, thread_id));
	printf("\t\t\t.native_thread_id = %u,\n", (unsigned)offsetof(PyThreadState, native_thread_id));
	printf("\t\t\t.frame = %u,\n", (unsigned)offsetof(PyThreadState, cframe));
	printf("\t\t\t.frame_link = CPY_FRAME_VIA_CFRAME,\n");
	printf("\t\t\t.cframe_current_frame = %u,\n", (unsigned)offsetof(_PyCFrame, current_frame));
	printf("\t\t},\n\t\t.frame = {\n");
	printf("\t\t\t.size = %u,\n", (unsigned)frame_end);
	printf("\t\t\t.previous = %u,\n", (unsigned)offsetof(_PyInterpreterFrame, previous));
	printf("\t\t\t.code = %u,\n", (unsigned)offsetof(_PyInterpreterFrame, f_code));
	printf("\t\t\t.instr = %u,\n", (unsigned)offsetof(_PyInterpreterFrame, prev_instr));
	printf("\t\t\t.instr_kind = CPY_INSTR_PREV,\n");
	printf("\t\t\t.owner = %u,\n", (unsigned)offsetof(_PyInterpreterFrame, owner));
#if PY_VERSION_HEX >= 0x030c0000
	printf("\t\t\t.owner_cstack = %u,\n", (unsigned)FRAME_OWNED_BY_CSTACK);
#else
	printf("\t\t\t.owner_cstack = 0xff,\n");
#endif
	printf("\t\t},\n\t\t.code = {\n");
	printf("\t\t\t.size = %u,\n", (unsigned)sizeof(PyCodeObject));
	printf("\t\t\t.filename = %u,\n", (unsigned)offsetof(PyCodeObject, co_filename));
	printf("\t\t\t.name = %u,\n", (unsigned)offsetof(PyCodeObject, co_name));
	printf("\t\t\t.qualname = %u,\n", (unsigned)offsetof(PyCodeObject, co_qualname));
	printf("\t\t\t.linetable = %u,\n", (unsigned)offsetof(PyCodeObject, co_linetable));
	printf("\t\t\t.firstlineno = %u,\n", (unsigned)offsetof(PyCodeObject, co_firstlineno));
	printf("\t\t\t.code_adaptive = %u,\n", (unsigned)offsetof(PyCodeObject, co_code_adaptive));
	printf("\t\t},\n\t\t.object = {\n");
	printf("\t\t\t.ob_type = %u,\n", (unsigned)offsetof(PyObject, ob_type));
	printf("\t\t\t.ob_size = %u,\n", (unsigned)offsetof(PyVarObject, ob_size));
	printf("\t\t},\n\t\t.unicode = {\n");
	printf("\t\t\t.state = %u,\n", (unsigned)offsetof(PyASCIIObject, state));
	printf("\t\t\t.length = %u,\n", (unsigned)offsetof(PyASCIIObject, length));
	printf("\t\t\t.ascii_size = %u,\n", (unsigned)sizeof(PyASCIIObject));
	printf("\t\t\t.compact_size = %u,\n", (unsigned)sizeof(PyCompactUnicodeObject));
	printf("\t\t},\n\t\t.bytes = {\n");
	printf("\t\t\t.ob_size = %u,\n", (unsigned)offsetof(PyBytesObject, ob_base.ob_size));
	printf("\t\t\t.ob_sval = %u,\n", (unsigned)offsetof(PyBytesObject, ob_sval));
	printf("\t\t},\n\t},\n");
	return 0;
}
