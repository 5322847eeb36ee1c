/*
 * debug_offsets.c - validate a 3.13 _Py_DebugOffsets table once, at attach,
 * so the per-sample path can use raw offsets (after CPython 3.15's
 * debug_offsets_validation.h).
 */
#include "cpython/debug_offsets.h"
#include "util/err.h"

#include <errno.h>
#include <string.h>

#define MAX_STRUCT_SIZE (16u << 20) /* _PyRuntimeState is ~280 KiB in 3.13 */

/* The field lies wholly inside a struct of `size` bytes and is aligned. */
static int check(const char *what, uint64_t off, uint64_t width, uint64_t size)
{
	if (size == 0 || size > MAX_STRUCT_SIZE)
		return pyro_err_set(ENOTSUP, "_Py_DebugOffsets: %s: struct size %llu out of range", what,
				    (unsigned long long)size);
	if (off > size || width > size - off)
		return pyro_err_set(ENOTSUP, "_Py_DebugOffsets: %s: offset %llu outside a %llu-byte struct", what,
				    (unsigned long long)off, (unsigned long long)size);
	if (width > 1 && off % (width < 8 ? width : 8) != 0)
		return pyro_err_set(ENOTSUP, "_Py_DebugOffsets: %s: offset %llu misaligned", what,
				    (unsigned long long)off);
	return 0;
}

#define CHECK(what, off, width, size)                                \
	do {                                                         \
		if ((rc = check(what, off, width, size)) < 0)        \
			goto out;                                    \
	} while (0)

/* sizeof(struct _gil_runtime_state) in 3.12 and 3.13 (pycore_gil.h: the
 * interval, last holder, locked flag and switch number, then two mutexes
 * and two condition variables), which the table does not give. */
#define GIL_STRUCT_SIZE 208

int cpy_debug_offsets_load(const struct cpy_debug_offsets_313 *d, uint32_t hexversion, struct cpy_layout *out)
{
	uint64_t fsz;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (memcmp(d->cookie, "xdebugpy", 8) != 0)
		return pyro_err_set(ENOTSUP, "_Py_DebugOffsets: bad cookie (not a CPython 3.13+ runtime?)");
	if ((d->version >> 16) != (hexversion >> 16))
		return pyro_err_set(ENOTSUP, "_Py_DebugOffsets: version 0x%llx does not match Py_Version 0x%x",
				    (unsigned long long)d->version, hexversion);
	if (d->free_threaded)
		return pyro_err_set(ENOTSUP, "free-threaded (nogil) CPython builds are not supported yet");

	CHECK("runtime_state.interpreters_head", d->runtime_state.interpreters_head, 8, d->runtime_state.size);
	CHECK("interpreter_state.next", d->interpreter_state.next, 8, d->interpreter_state.size);
	CHECK("interpreter_state.threads_head", d->interpreter_state.threads_head, 8, d->interpreter_state.size);
	CHECK("interpreter_state.id", d->interpreter_state.id, 8, d->interpreter_state.size);
	CHECK("thread_state.next", d->thread_state.next, 8, d->thread_state.size);
	CHECK("thread_state.interp", d->thread_state.interp, 8, d->thread_state.size);
	CHECK("thread_state.current_frame", d->thread_state.current_frame, 8, d->thread_state.size);
	CHECK("thread_state.thread_id", d->thread_state.thread_id, 8, d->thread_state.size);
	CHECK("thread_state.native_thread_id", d->thread_state.native_thread_id, 8, d->thread_state.size);
	fsz = d->interpreter_frame.size;
	CHECK("interpreter_frame.previous", d->interpreter_frame.previous, 8, fsz);
	CHECK("interpreter_frame.executable", d->interpreter_frame.executable, 8, fsz);
	CHECK("interpreter_frame.instr_ptr", d->interpreter_frame.instr_ptr, 8, fsz);
	CHECK("interpreter_frame.owner", d->interpreter_frame.owner, 1, fsz);
	CHECK("code_object.filename", d->code_object.filename, 8, d->code_object.size);
	CHECK("code_object.name", d->code_object.name, 8, d->code_object.size);
	CHECK("code_object.qualname", d->code_object.qualname, 8, d->code_object.size);
	CHECK("code_object.linetable", d->code_object.linetable, 8, d->code_object.size);
	CHECK("code_object.firstlineno", d->code_object.firstlineno, 4, d->code_object.size);
	CHECK("code_object.co_code_adaptive", d->code_object.co_code_adaptive, 2, d->code_object.size);
	CHECK("pyobject.ob_type", d->pyobject.ob_type, 8, d->pyobject.size);
	CHECK("tuple_object.ob_size", d->tuple_object.ob_size, 8, d->tuple_object.size);
	CHECK("bytes_object.ob_size", d->bytes_object.ob_size, 8, d->bytes_object.size);
	CHECK("bytes_object.ob_sval", d->bytes_object.ob_sval, 1, d->bytes_object.size);
	CHECK("unicode_object.state", d->unicode_object.state, 4, d->unicode_object.size);
	CHECK("unicode_object.length", d->unicode_object.length, 8, d->unicode_object.size);
	CHECK("unicode_object.asciiobject_size", d->unicode_object.asciiobject_size, 0, d->unicode_object.size);
	CHECK("interpreter_state.ceval_gil", d->interpreter_state.ceval_gil, 8, d->interpreter_state.size);
	CHECK("interpreter_state.gil_runtime_state", d->interpreter_state.gil_runtime_state, 8, d->interpreter_state.size);
	CHECK("interpreter_state.gil_runtime_state_locked", d->interpreter_state.gil_runtime_state_locked, 4,
	      d->interpreter_state.size);
	CHECK("interpreter_state.gil_runtime_state_holder", d->interpreter_state.gil_runtime_state_holder, 8,
	      d->interpreter_state.size);
	if (d->interpreter_state.gil_runtime_state_locked < d->interpreter_state.gil_runtime_state ||
	    d->interpreter_state.gil_runtime_state_holder < d->interpreter_state.gil_runtime_state ||
	    d->interpreter_state.gil_runtime_state_locked - d->interpreter_state.gil_runtime_state >= GIL_STRUCT_SIZE ||
	    d->interpreter_state.gil_runtime_state_holder - d->interpreter_state.gil_runtime_state >= GIL_STRUCT_SIZE)
		return pyro_err_set(ENOTSUP, "_Py_DebugOffsets: the GIL's fields lie outside its struct");
	if (d->unicode_object.asciiobject_size < d->unicode_object.state + 4)
		return pyro_err_set(ENOTSUP, "_Py_DebugOffsets: unicode_object.asciiobject_size too small");

	out->version = (uint32_t)((hexversion >> 24) << 8 | ((hexversion >> 16) & 0xff));
	out->runtime.symbol = "_PyRuntime";
	out->runtime.interpreters_head = (uint32_t)d->runtime_state.interpreters_head;
	out->interp.next = (uint32_t)d->interpreter_state.next;
	out->interp.threads_head = (uint32_t)d->interpreter_state.threads_head;
	out->interp.id = (uint32_t)d->interpreter_state.id;
	out->tstate.size = (uint32_t)d->thread_state.size;
	out->tstate.next = (uint32_t)d->thread_state.next;
	out->tstate.interp = (uint32_t)d->thread_state.interp;
	out->tstate.thread_id = (uint32_t)d->thread_state.thread_id;
	out->tstate.native_thread_id = (uint32_t)d->thread_state.native_thread_id;
	out->tstate.frame = (uint32_t)d->thread_state.current_frame;
	out->tstate.frame_link = CPY_FRAME_DIRECT;
	/* Read only up to the owner byte: localsplus follows and is not ours. */
	out->frame.size = (uint32_t)(d->interpreter_frame.owner + 1);
	if (out->frame.size < d->interpreter_frame.instr_ptr + 8)
		out->frame.size = (uint32_t)(d->interpreter_frame.instr_ptr + 8);
	out->frame.previous = (uint32_t)d->interpreter_frame.previous;
	out->frame.code = (uint32_t)d->interpreter_frame.executable;
	out->frame.instr = (uint32_t)d->interpreter_frame.instr_ptr;
	out->frame.instr_kind = CPY_INSTR_NEXT;
	out->frame.owner = (uint32_t)d->interpreter_frame.owner;
	out->frame.owner_cstack = 3; /* FRAME_OWNED_BY_CSTACK in 3.13 */
	out->code.size = (uint32_t)d->code_object.size;
	out->code.filename = (uint32_t)d->code_object.filename;
	out->code.name = (uint32_t)d->code_object.name;
	out->code.qualname = (uint32_t)d->code_object.qualname;
	out->code.linetable = (uint32_t)d->code_object.linetable;
	out->code.firstlineno = (uint32_t)d->code_object.firstlineno;
	out->code.code_adaptive = (uint32_t)d->code_object.co_code_adaptive;
	out->code.linetable_kind = CPY_LINETABLE_311;
	out->code.code_bytes = CPY_FIELD_NONE;
	out->tstate.cframe_current_frame = CPY_FIELD_NONE;
	out->object.ob_type = (uint32_t)d->pyobject.ob_type;
	out->object.ob_size = (uint32_t)d->tuple_object.ob_size; /* PyVarObject.ob_size */
	out->unicode.state = (uint32_t)d->unicode_object.state;
	out->unicode.length = (uint32_t)d->unicode_object.length;
	out->unicode.ascii_size = (uint32_t)d->unicode_object.asciiobject_size;
	/* PyCompactUnicodeObject adds utf8_length and utf8 (3.12+). */
	out->unicode.compact_size = (uint32_t)d->unicode_object.asciiobject_size + 16;
	out->bytes.ob_size = (uint32_t)d->bytes_object.ob_size;
	out->bytes.ob_sval = (uint32_t)d->bytes_object.ob_sval;
	/* The interpreter's own GIL is embedded in it (interp->_gil); the
	 * pointer says which one it uses. Offsets are given from the
	 * interpreter: taken here from the embedded struct's start. */
	out->gil.kind = CPY_GIL_INTERP;
	out->gil.at = (uint32_t)d->interpreter_state.ceval_gil;
	out->gil.locked = (uint32_t)(d->interpreter_state.gil_runtime_state_locked - d->interpreter_state.gil_runtime_state);
	out->gil.holder = (uint32_t)(d->interpreter_state.gil_runtime_state_holder - d->interpreter_state.gil_runtime_state);
	out->gil.size = GIL_STRUCT_SIZE;
	/* GC state: optional, so checked here and left out if it reads wrong. */
	if (d->interpreter_state.gc + d->gc.collecting + 4 <= d->interpreter_state.size && d->gc.collecting + 4 <= d->gc.size) {
		out->gc.kind = CPY_GC_INTERP;
		out->gc.collecting = (uint32_t)(d->interpreter_state.gc + d->gc.collecting);
	}
out:
	return rc;
}

int cpy_debug_offsets_objects(const struct cpy_debug_offsets_313 *d, struct cpy_obj_layout *o)
{
	int rc = 0;

	CHECK("interpreter_state.imports_modules", d->interpreter_state.imports_modules, 8, d->interpreter_state.size);
	CHECK("type_object.tp_name", d->type_object.tp_name, 8, d->type_object.size);
	CHECK("type_object.tp_flags", d->type_object.tp_flags, 8, d->type_object.size);
	CHECK("tuple_object.ob_item", d->tuple_object.ob_item, 8, d->tuple_object.size);
	CHECK("float_object.ob_fval", d->float_object.ob_fval, 8, d->float_object.size);
	CHECK("long_object.lv_tag", d->long_object.lv_tag, 8, d->long_object.size);
	CHECK("long_object.ob_digit", d->long_object.ob_digit, 4, d->long_object.size);
	CHECK("dict_object.ma_keys", d->dict_object.ma_keys, 8, d->dict_object.size);
	CHECK("dict_object.ma_values", d->dict_object.ma_values, 8, d->dict_object.size);
	CHECK("interpreter_frame.localsplus", d->interpreter_frame.localsplus, 0, d->interpreter_frame.size);
	CHECK("code_object.localsplusnames", d->code_object.localsplusnames, 8, d->code_object.size);
	CHECK("code_object.localspluskinds", d->code_object.localspluskinds, 8, d->code_object.size);
	if (d->interpreter_frame.localsplus % 8 != 0)
		return pyro_err_set(ENOTSUP, "_Py_DebugOffsets: interpreter_frame.localsplus misaligned");
	o->interp_modules = (uint32_t)d->interpreter_state.imports_modules;
	o->type.tp_name = (uint32_t)d->type_object.tp_name;
	o->type.tp_flags = (uint32_t)d->type_object.tp_flags;
	o->tuple_items = (uint32_t)d->tuple_object.ob_item;
	o->float_value = (uint32_t)d->float_object.ob_fval;
	o->lng.size = (uint32_t)d->long_object.lv_tag;
	o->lng.digits = (uint32_t)d->long_object.ob_digit;
	o->dict.ma_keys = (uint32_t)d->dict_object.ma_keys;
	o->dict.ma_values = (uint32_t)d->dict_object.ma_values;
	o->locals.frame = (uint32_t)d->interpreter_frame.localsplus;
	o->locals.names = (uint32_t)d->code_object.localsplusnames;
	o->locals.kinds = (uint32_t)d->code_object.localspluskinds;
out:
	return rc;
}
