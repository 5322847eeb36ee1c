/*
 * layout.h - where the fields pyrometer reads sit in one CPython version.
 *
 * One struct serves every version. 3.11 and 3.12 come from tables generated
 * from that version's own headers (tools/gen_layouts.c -> layouts_gen.h);
 * 3.13 and later fill it from the target's _Py_DebugOffsets at attach
 * (debug_offsets.c). Nothing else in the reader hard-codes an offset.
 */
#ifndef PYRO_CPYTHON_LAYOUT_H
#define PYRO_CPYTHON_LAYOUT_H

#include <stdint.h>

/* How a thread's current frame is found. */
enum cpy_frame_link {
	CPY_FRAME_VIA_CFRAME = 1,  /* tstate->cframe->current_frame (3.11, 3.12) */
	CPY_FRAME_DIRECT = 2,      /* tstate->current_frame (3.13+) */
};

/* How the frame records the instruction. */
enum cpy_instr_kind {
	CPY_INSTR_PREV = 1,  /* prev_instr: last instruction started (3.11, 3.12) */
	CPY_INSTR_NEXT = 2,  /* instr_ptr: instruction executing or next (3.13+) */
};

struct cpy_layout {
	uint32_t version;  /* 0x030b for 3.11: major << 8 | minor */

	struct {
		uint32_t interpreters_head;  /* _PyRuntimeState.interpreters.head */
	} runtime;

	struct {
		uint32_t next;
		uint32_t threads_head;
		uint32_t id;
	} interp;

	struct {
		uint32_t size;
		uint32_t next;
		uint32_t interp;
		uint32_t thread_id;          /* pthread_t */
		uint32_t native_thread_id;
		uint32_t frame;              /* cframe (VIA_CFRAME) or current_frame */
		uint32_t frame_link;         /* enum cpy_frame_link */
		uint32_t cframe_current_frame;
	} tstate;

	struct {
		uint32_t size;               /* bytes to read to cover every field below */
		uint32_t previous;
		uint32_t code;               /* f_code / f_executable */
		uint32_t instr;              /* prev_instr / instr_ptr */
		uint32_t instr_kind;         /* enum cpy_instr_kind */
		uint32_t owner;
		uint32_t owner_cstack;       /* FRAME_OWNED_BY_CSTACK, or 0xff if none */
	} frame;

	struct {
		uint32_t size;               /* sizeof(PyCodeObject) */
		uint32_t filename;
		uint32_t name;
		uint32_t qualname;
		uint32_t linetable;
		uint32_t firstlineno;
		uint32_t code_adaptive;      /* offset of co_code_adaptive */
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
};

/* The generated table for versions read through committed layouts. */
extern const struct cpy_layout cpy_layouts[];
extern const unsigned cpy_layouts_count;

/* The generated layout for major.minor, or NULL. */
const struct cpy_layout *cpy_layout_find(unsigned major, unsigned minor);

#endif
