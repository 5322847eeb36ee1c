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
#if PY_VERSION_HEX < 0x030b0000
#include <longintrepr.h>
#endif
#if PY_VERSION_HEX >= 0x030a0000
#include <internal/pycore_moduleobject.h>
#endif
#if PY_VERSION_HEX >= 0x030b0000
#include <internal/pycore_code.h>
#include <internal/pycore_dict.h>
#endif
#include <stddef.h>
#include <stdio.h>

#ifdef GEN_OBJECTS
#if PY_VERSION_HEX < 0x03060000 || PY_VERSION_HEX >= 0x030e0000
#error "gen_layouts.c -DGEN_OBJECTS covers 3.6 to 3.13"
#endif
#elif PY_VERSION_HEX < 0x03060000 || PY_VERSION_HEX >= 0x030d0000
#error "gen_layouts.c covers 3.6 to 3.12; 3.13+ is read from _Py_DebugOffsets"
#endif

#define OFF(type, field) ((unsigned)offsetof(type, field))

#ifdef GEN_OBJECTS
/* With -DGEN_OBJECTS: one entry of cpy_obj_layouts[], the objects that
 * src/cpython/objects.c reads (3.6 to 3.13; on 3.13 the fields that the
 * target's _Py_DebugOffsets also gives are taken from there at attach). */
int main(void)
{
	printf("\t{\n");
	printf("\t\t.version = 0x%02x%02x, /* %s */\n", PY_MAJOR_VERSION, PY_MINOR_VERSION, PY_VERSION);
#if PY_VERSION_HEX >= 0x030c0000
	printf("\t\t.interp_modules = %u,\n", OFF(PyInterpreterState, imports.modules));
#else
	printf("\t\t.interp_modules = %u,\n", OFF(PyInterpreterState, modules));
#endif
	printf("\t\t.type = {\n");
	printf("\t\t\t.tp_name = %u,\n", OFF(PyTypeObject, tp_name));
	printf("\t\t\t.tp_basicsize = %u,\n", OFF(PyTypeObject, tp_basicsize));
	printf("\t\t\t.tp_itemsize = %u,\n", OFF(PyTypeObject, tp_itemsize));
	printf("\t\t\t.tp_flags = %u,\n", OFF(PyTypeObject, tp_flags));
	printf("\t\t\t.tp_dictoffset = %u,\n", OFF(PyTypeObject, tp_dictoffset));
	printf("\t\t\t.ht_cached_keys = %u,\n", OFF(PyHeapTypeObject, ht_cached_keys));
	printf("\t\t},\n");
	printf("\t\t.tuple_items = %u,\n", OFF(PyTupleObject, ob_item));
	printf("\t\t.float_value = %u,\n", OFF(PyFloatObject, ob_fval));
	printf("\t\t.cell_ref = %u,\n", OFF(PyCellObject, ob_ref));
#if PY_VERSION_HEX >= 0x030a0000
	printf("\t\t.module_dict = %u,\n", OFF(PyModuleObject, md_dict));
#else
	/* PyModuleObject is private to Objects/moduleobject.c before 3.10:
	 * PyObject_HEAD, then md_dict. */
	printf("\t\t.module_dict = %u,\n", (unsigned)sizeof(PyObject));
#endif
	printf("\t\t.lng = {\n");
#if PY_VERSION_HEX >= 0x030c0000
	printf("\t\t\t.size = %u,\n", OFF(PyLongObject, long_value.lv_tag));
	printf("\t\t\t.digits = %u,\n", OFF(PyLongObject, long_value.ob_digit));
	printf("\t\t\t.tagged = 1,\n");
#else
	printf("\t\t\t.size = %u,\n", OFF(PyVarObject, ob_size));
	printf("\t\t\t.digits = %u,\n", OFF(PyLongObject, ob_digit));
	printf("\t\t\t.tagged = 0,\n");
#endif
	printf("\t\t\t.shift = %u,\n", (unsigned)PyLong_SHIFT);
	printf("\t\t\t.digit_size = %u,\n", (unsigned)sizeof(digit));
	printf("\t\t},\n");
	printf("\t\t.dict = {\n");
	printf("\t\t\t.ma_used = %u,\n", OFF(PyDictObject, ma_used));
	printf("\t\t\t.ma_keys = %u,\n", OFF(PyDictObject, ma_keys));
	printf("\t\t\t.ma_values = %u,\n", OFF(PyDictObject, ma_values));
	printf("\t\t},\n");
	printf("\t\t.keys = {\n");
#if PY_VERSION_HEX >= 0x030b0000
	printf("\t\t\t.kind = CPY_DICTKEYS_LOG2,\n");
	printf("\t\t\t.size = %u,\n", OFF(PyDictKeysObject, dk_log2_size));
	printf("\t\t\t.log2_index_bytes = %u,\n", OFF(PyDictKeysObject, dk_log2_index_bytes));
	printf("\t\t\t.dk_kind = %u,\n", OFF(PyDictKeysObject, dk_kind));
	printf("\t\t\t.nentries = %u,\n", OFF(PyDictKeysObject, dk_nentries));
	printf("\t\t\t.indices = %u,\n", OFF(PyDictKeysObject, dk_indices));
	printf("\t\t\t.entry_size = %u,\n", (unsigned)sizeof(PyDictKeyEntry));
	printf("\t\t\t.unicode_entry_size = %u,\n", (unsigned)sizeof(PyDictUnicodeEntry));
	printf("\t\t\t.values = %u,\n", OFF(PyDictValues, values));
#if PY_VERSION_HEX >= 0x030d0000
	printf("\t\t\t.values_capacity = %u,\n", OFF(PyDictValues, capacity));
	printf("\t\t\t.values_valid = %u,\n", OFF(PyDictValues, valid));
#else
	printf("\t\t\t.values_capacity = CPY_FIELD_NONE,\n");
	printf("\t\t\t.values_valid = CPY_FIELD_NONE,\n");
#endif
#else
	/* struct _dictkeysobject is private to Objects/dict-common.h before
	 * 3.11: dk_refcnt, dk_size, dk_lookup, dk_usable, dk_nentries, then
	 * the indices; entries are {me_hash, me_key, me_value}; a split
	 * table's values are a bare array. */
	printf("\t\t\t.kind = CPY_DICTKEYS_SIZE,\n");
	printf("\t\t\t.size = 8,\n");
	printf("\t\t\t.log2_index_bytes = CPY_FIELD_NONE,\n");
	printf("\t\t\t.dk_kind = CPY_FIELD_NONE,\n");
	printf("\t\t\t.nentries = 32,\n");
	printf("\t\t\t.indices = 40,\n");
	printf("\t\t\t.entry_size = 24,\n");
	printf("\t\t\t.unicode_entry_size = CPY_FIELD_NONE,\n");
	printf("\t\t\t.values = 0,\n");
	printf("\t\t\t.values_capacity = CPY_FIELD_NONE,\n");
	printf("\t\t\t.values_valid = CPY_FIELD_NONE,\n");
#endif
	printf("\t\t},\n");
	/* Managed dicts (pycore_object.h): 3.11 keeps the values pointer 4
	 * words and the dict pointer 3 words before the object; 3.12 one
	 * tagged pointer 3 words before (bit 0: values); 3.13 the dict
	 * pointer 3 words before and the values inline after the header. */
#if PY_VERSION_HEX >= 0x030d0000
	printf("\t\t.managed = { .kind = CPY_MANAGED_313, .flag = %lu, .inline_flag = %lu, .dict_pre = %u, "
	       ".values_pre = CPY_FIELD_NONE },\n",
	       (unsigned long)Py_TPFLAGS_MANAGED_DICT, (unsigned long)Py_TPFLAGS_INLINE_VALUES,
	       (unsigned)(3 * sizeof(PyObject *)));
#elif PY_VERSION_HEX >= 0x030c0000
	printf("\t\t.managed = { .kind = CPY_MANAGED_312, .flag = %lu, .inline_flag = 0, .dict_pre = %u, "
	       ".values_pre = CPY_FIELD_NONE },\n",
	       (unsigned long)Py_TPFLAGS_MANAGED_DICT, (unsigned)(3 * sizeof(PyObject *)));
#elif PY_VERSION_HEX >= 0x030b0000
	printf("\t\t.managed = { .kind = CPY_MANAGED_311, .flag = %lu, .inline_flag = 0, .dict_pre = %u, "
	       ".values_pre = %u },\n",
	       (unsigned long)Py_TPFLAGS_MANAGED_DICT, (unsigned)(3 * sizeof(PyObject *)),
	       (unsigned)(4 * sizeof(PyObject *)));
#else
	printf("\t\t.managed = { .kind = 0, .flag = 0, .inline_flag = 0, .dict_pre = CPY_FIELD_NONE, "
	       ".values_pre = CPY_FIELD_NONE },\n");
#endif
	printf("\t\t.locals = {\n");
#if PY_VERSION_HEX >= 0x030b0000
	printf("\t\t\t.frame = %u,\n", OFF(_PyInterpreterFrame, localsplus));
	printf("\t\t\t.varnames = CPY_FIELD_NONE,\n");
	printf("\t\t\t.cellvars = CPY_FIELD_NONE,\n");
	printf("\t\t\t.freevars = CPY_FIELD_NONE,\n");
	printf("\t\t\t.names = %u,\n", OFF(PyCodeObject, co_localsplusnames));
	printf("\t\t\t.kinds = %u,\n", OFF(PyCodeObject, co_localspluskinds));
#ifdef CO_FAST_HIDDEN
	printf("\t\t\t.kind_hidden = 0x%x,\n", (unsigned)CO_FAST_HIDDEN);
#else
	printf("\t\t\t.kind_hidden = 0,\n");
#endif
	printf("\t\t\t.kind_cell = 0x%x,\n", (unsigned)CO_FAST_CELL);
	printf("\t\t\t.kind_free = 0x%x,\n", (unsigned)CO_FAST_FREE);
#else
	printf("\t\t\t.frame = %u,\n", OFF(PyFrameObject, f_localsplus));
	printf("\t\t\t.varnames = %u,\n", OFF(PyCodeObject, co_varnames));
	printf("\t\t\t.cellvars = %u,\n", OFF(PyCodeObject, co_cellvars));
	printf("\t\t\t.freevars = %u,\n", OFF(PyCodeObject, co_freevars));
	printf("\t\t\t.names = CPY_FIELD_NONE,\n");
	printf("\t\t\t.kinds = CPY_FIELD_NONE,\n");
	printf("\t\t\t.kind_hidden = 0,\n");
	printf("\t\t\t.kind_cell = 0,\n");
	printf("\t\t\t.kind_free = 0,\n");
#endif
	printf("\t\t},\n\t},\n");
	return 0;
}
#else
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
	printf("\t\t},\n\t\t.gc = {\n");
#if PY_VERSION_HEX >= 0x03090000
	printf("\t\t\t.kind = CPY_GC_INTERP,\n");
	printf("\t\t\t.collecting = %u,\n", OFF(PyInterpreterState, gc.collecting));
#elif PY_VERSION_HEX >= 0x03070000
	printf("\t\t\t.kind = CPY_GC_RUNTIME,\n");
	printf("\t\t\t.collecting = %u,\n", OFF(_PyRuntimeState, gc.collecting));
#else
	printf("\t\t\t.kind = CPY_GC_SYMBOL,\n");
	printf("\t\t\t.collecting = CPY_FIELD_NONE,\n");
#endif
	printf("\t\t},\n\t},\n");
	return 0;
}
#endif
