/*
 * layout.h - where the fields pyrometer reads sit in one CPython version.
 *
 * One struct serves every version. 3.6 to 3.12 come from tables generated
 * from that version's own headers (tools/gen_layouts.c -> layouts_gen.c);
 * 3.13 and later fill it from the target's _Py_DebugOffsets at attach
 * (debug_offsets.c). Nothing else in the reader hard-codes an offset.
 * CPY_FIELD_NONE marks a field the version does not have.
 */
#ifndef PYRO_CPYTHON_LAYOUT_H
#define PYRO_CPYTHON_LAYOUT_H

#include <stdint.h>

#define CPY_FIELD_NONE 0xffffffffu

/* How a thread's current frame is found. */
enum cpy_frame_link {
	CPY_FRAME_VIA_CFRAME = 1,  /* tstate->cframe->current_frame (3.11, 3.12) */
	CPY_FRAME_DIRECT = 2,      /* tstate->frame (3.6-3.10), tstate->current_frame (3.13+) */
};

/* How the frame records the instruction. */
enum cpy_instr_kind {
	CPY_INSTR_PREV = 1,        /* prev_instr: last instruction started (3.11, 3.12) */
	CPY_INSTR_NEXT = 2,        /* instr_ptr: instruction executing or next (3.13+) */
	CPY_INSTR_LASTI_BYTES = 3, /* int f_lasti: byte offset of the last started (3.6-3.9) */
	CPY_INSTR_LASTI_UNITS = 4, /* int f_lasti: code-unit index of the last started (3.10) */
};

/* How code objects map instructions to lines. */
enum cpy_linetable_kind {
	CPY_LINETABLE_LNOTAB = 1,  /* co_lnotab (3.6-3.9) */
	CPY_LINETABLE_310 = 2,     /* co_linetable, 3.10 format */
	CPY_LINETABLE_311 = 3,     /* co_linetable, location table (3.11+) */
};

/* Where the GIL's state lives: whether it is held, and by which thread. */
enum cpy_gil_kind {
	CPY_GIL_SYMBOLS = 1,       /* static variables of ceval.c, by name (3.6) */
	CPY_GIL_RUNTIME = 2,       /* a struct _gil_runtime_state inside _PyRuntime (3.7-3.11) */
	CPY_GIL_INTERP = 3,        /* a pointer to one in each interpreter (3.12+) */
};

/* Where the garbage collector says it is running (int collecting). */
enum cpy_gc_kind {
	CPY_GC_NONE = 0,
	CPY_GC_SYMBOL = 1,         /* gcmodule.c's static `collecting`, by name (3.6) */
	CPY_GC_RUNTIME = 2,        /* in _PyRuntime (3.7, 3.8) */
	CPY_GC_INTERP = 3,         /* in each interpreter (3.9+) */
};

struct cpy_layout {
	uint32_t version;  /* 0x030b for 3.11: major << 8 | minor */

	struct {
		const char *symbol;          /* "_PyRuntime"; "interp_head" on 3.6 */
		uint32_t interpreters_head;  /* offset of the list head within it */
	} runtime;

	struct {
		uint32_t next;
		uint32_t threads_head;
		uint32_t id;                 /* int64_t id, or NONE (3.6) */
	} interp;

	struct {
		uint32_t size;
		uint32_t next;
		uint32_t interp;
		uint32_t thread_id;          /* pthread_t */
		uint32_t native_thread_id;   /* NONE before 3.11 */
		uint32_t frame;              /* cframe (VIA_CFRAME) or current_frame */
		uint32_t frame_link;         /* enum cpy_frame_link */
		uint32_t cframe_current_frame;
	} tstate;

	struct {
		uint32_t size;               /* bytes to read to cover every field below */
		uint32_t previous;
		uint32_t code;               /* f_code / f_executable */
		uint32_t instr;              /* prev_instr / instr_ptr / f_lasti */
		uint32_t instr_kind;         /* enum cpy_instr_kind */
		uint32_t owner;              /* NONE before 3.11 */
		uint32_t owner_cstack;       /* FRAME_OWNED_BY_CSTACK, or 0xff if none */
	} frame;

	struct {
		uint32_t size;               /* sizeof(PyCodeObject) */
		uint32_t filename;
		uint32_t name;
		uint32_t qualname;           /* NONE before 3.11 */
		uint32_t linetable;          /* co_linetable, or co_lnotab before 3.10 */
		uint32_t linetable_kind;     /* enum cpy_linetable_kind */
		uint32_t firstlineno;
		uint32_t code_adaptive;      /* offset of co_code_adaptive (3.11+), else NONE */
		uint32_t code_bytes;         /* co_code, a bytes object (before 3.11), else NONE */
	} code;

	struct {
		uint32_t ob_type;
		uint32_t ob_size;            /* PyVarObject.ob_size */
	} object;

	struct {
		uint32_t state;
		uint32_t length;
		uint32_t ascii_size;         /* sizeof(PyASCIIObject): ASCII data follows */
		uint32_t compact_size;       /* sizeof(PyCompactUnicodeObject) */
	} unicode;

	struct {
		uint32_t ob_size;
		uint32_t ob_sval;
	} bytes;

	struct {
		uint32_t kind;               /* enum cpy_gil_kind */
		uint32_t at;                 /* RUNTIME: the struct's offset in _PyRuntime;
					      * INTERP: the pointer's offset in the interpreter */
		uint32_t locked;             /* int locked, within the struct */
		uint32_t holder;             /* PyThreadState *last_holder, within the struct */
		uint32_t size;               /* of the struct: its mutex and condition variables
					      * are where threads wait for the GIL */
	} gil;

	struct {
		uint32_t kind;               /* enum cpy_gc_kind */
		uint32_t collecting;         /* RUNTIME: offset in _PyRuntime; INTERP: in the
					      * interpreter; SYMBOL: unused */
	} gc;
};

/* How a dict's keys object is laid out. */
enum cpy_dictkeys_kind {
	CPY_DICTKEYS_SIZE = 1,     /* Py_ssize_t dk_size; index width from the size (3.6-3.10) */
	CPY_DICTKEYS_LOG2 = 2,     /* dk_log2_size, dk_log2_index_bytes, dk_kind (3.11+) */
};

/* Where an instance keeps its __dict__ when its type manages it
 * (Py_TPFLAGS_MANAGED_DICT, pycore_object.h). */
enum cpy_managed_kind {
	CPY_MANAGED_311 = 1,       /* values pointer at values_pre, dict pointer at dict_pre */
	CPY_MANAGED_312 = 2,       /* one pointer at dict_pre: odd means values - 1 */
	CPY_MANAGED_313 = 3,       /* dict pointer at dict_pre; values inline after the
				    * header when the type has inline_flag */
};

/* The objects objects.c reads: values of simple types, dicts, instance
 * attributes, modules and frame locals. Generated for 3.6 to 3.13
 * (tools/gen_layouts.c -DGEN_OBJECTS); on 3.13+ the fields the target's
 * _Py_DebugOffsets gives replace the generated ones (debug_offsets.c). */
struct cpy_obj_layout {
	uint32_t version;                /* major << 8 | minor */
	uint32_t interp_modules;         /* PyInterpreterState: modules (imports.modules 3.12+) */
	struct {
		uint32_t tp_name, tp_basicsize, tp_itemsize, tp_flags, tp_dictoffset;
		uint32_t ht_cached_keys;     /* PyHeapTypeObject: shared keys of instances' dicts */
	} type;
	uint32_t tuple_items;            /* PyTupleObject.ob_item */
	uint32_t float_value;            /* PyFloatObject.ob_fval */
	uint32_t cell_ref;               /* PyCellObject.ob_ref */
	uint32_t module_dict;            /* PyModuleObject.md_dict */
	struct {
		uint32_t size;               /* ob_size (signed digit count) or lv_tag */
		uint32_t digits;             /* ob_digit */
		uint32_t tagged;             /* 1: lv_tag = ndigits << 3 | sign (0 +, 1 zero, 2 -) */
		uint32_t shift;              /* PyLong_SHIFT: bits per digit */
		uint32_t digit_size;         /* sizeof(digit) */
	} lng;
	struct {
		uint32_t ma_used, ma_keys, ma_values;
	} dict;
	struct {
		uint32_t kind;               /* enum cpy_dictkeys_kind */
		uint32_t size;               /* dk_size (8 bytes) or dk_log2_size (1 byte) */
		uint32_t log2_index_bytes;   /* 1 byte, NONE before 3.11 */
		uint32_t dk_kind;            /* 1 byte: 0 general, 1 unicode, 2 split; NONE before 3.11 */
		uint32_t nentries;
		uint32_t indices;            /* dk_indices; the entries follow them */
		uint32_t entry_size;         /* {hash, key, value} */
		uint32_t unicode_entry_size; /* {key, value} (3.11+), else NONE */
		uint32_t values;             /* the values array within a split table's values block */
		uint32_t values_capacity;    /* uint8_t capacity (3.13+), else NONE */
		uint32_t values_valid;       /* uint8_t valid (3.13+), else NONE */
	} keys;
	struct {
		uint32_t kind;               /* enum cpy_managed_kind, 0 before 3.11 */
		uint32_t flag;               /* Py_TPFLAGS_MANAGED_DICT */
		uint32_t inline_flag;        /* Py_TPFLAGS_INLINE_VALUES (3.13+), else 0 */
		uint32_t dict_pre;           /* bytes before the object of the dict pointer */
		uint32_t values_pre;         /* and of the values pointer (3.11), else NONE */
	} managed;
	struct {
		uint32_t frame;              /* f_localsplus / localsplus, within the frame */
		uint32_t varnames, cellvars, freevars; /* code object tuples before 3.11, else NONE */
		uint32_t names, kinds;       /* co_localsplusnames / co_localspluskinds (3.11+), else NONE */
		uint32_t kind_hidden, kind_cell, kind_free; /* CO_FAST_* bits (3.11+), else 0 */
	} locals;
};

extern const struct cpy_obj_layout cpy_obj_layouts[];
extern const unsigned cpy_obj_layouts_count;

/* The generated table for versions read through committed layouts. */
extern const struct cpy_layout cpy_layouts[];
extern const unsigned cpy_layouts_count;

/* The generated layout for major.minor, or NULL. */
const struct cpy_layout *cpy_layout_find(unsigned major, unsigned minor);

#endif
