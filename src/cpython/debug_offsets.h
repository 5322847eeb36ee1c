/*
 * debug_offsets.h - fill a cpy_layout from a 3.13+ target's _Py_DebugOffsets.
 */
#ifndef PYRO_CPYTHON_DEBUG_OFFSETS_H
#define PYRO_CPYTHON_DEBUG_OFFSETS_H

#include "cpython/layout.h"

#include <stddef.h>
#include <stdint.h>

/* The table as the 3.13 interpreter lays it out at the start of _PyRuntime. */
struct cpy_debug_offsets_313 {
	char cookie[8];
	uint64_t version;
	uint64_t free_threaded;
	struct { uint64_t size, finalizing, interpreters_head; } runtime_state;
	struct {
		uint64_t size, id, next, threads_head, gc, imports_modules, sysdict, builtins, ceval_gil,
		    gil_runtime_state, gil_runtime_state_enabled, gil_runtime_state_locked,
		    gil_runtime_state_holder;
	} interpreter_state;
	struct {
		uint64_t size, prev, next, interp, current_frame, thread_id, native_thread_id,
		    datastack_chunk, status;
	} thread_state;
	struct { uint64_t size, previous, executable, instr_ptr, localsplus, owner; } interpreter_frame;
	struct {
		uint64_t size, filename, name, qualname, linetable, firstlineno, argcount, localsplusnames,
		    localspluskinds, co_code_adaptive;
	} code_object;
	struct { uint64_t size, ob_type; } pyobject;
	struct { uint64_t size, tp_name, tp_repr, tp_flags; } type_object;
	struct { uint64_t size, ob_item, ob_size; } tuple_object;
	struct { uint64_t size, ob_item, ob_size; } list_object;
	struct { uint64_t size, ma_keys, ma_values; } dict_object;
	struct { uint64_t size, ob_fval; } float_object;
	struct { uint64_t size, lv_tag, ob_digit; } long_object;
	struct { uint64_t size, ob_size, ob_sval; } bytes_object;
	struct { uint64_t size, state, length, asciiobject_size; } unicode_object;
	struct { uint64_t size, collecting; } gc;
};

/* Validate the table field by field (cookie, version, every offset inside
 * its struct and aligned) and fill *out. hexversion is the target's
 * Py_Version. Returns 0 or -ENOTSUP with a message naming the bad field. */
int cpy_debug_offsets_load(const struct cpy_debug_offsets_313 *d, uint32_t hexversion, struct cpy_layout *out);

/* Replace the fields of an object layout (generated for the nearest
 * version) with those the table gives: the interpreter's modules dict, a
 * type's name and flags, tuple items, a float's value, an int's tag and
 * digits, a dict's keys and values, a frame's locals and a code object's
 * local names and kinds; each checked to lie inside its struct. Returns 0
 * or -ENOTSUP with a message naming the bad field (*o is then unchanged). */
int cpy_debug_offsets_objects(const struct cpy_debug_offsets_313 *d, struct cpy_obj_layout *o);

#endif
