/*
 * objects.h - reading Python objects out of a target process: values of
 * simple types as short, safe text; dict lookups; instance attributes;
 * Python thread names; a frame's local variables.
 *
 * Nothing here writes to the target or trusts what it reads: every length,
 * count and index is bounded by a named CPY_*_MAX, every type is checked
 * before its fields are used, and text is truncated at a character
 * boundary with control characters escaped. A reader keeps its own page
 * cache (apart from the sampler's, so that calling it between samples does
 * not change what the sampler prefetches).
 */
#ifndef PYRO_CPYTHON_OBJECTS_H
#define PYRO_CPYTHON_OBJECTS_H

#include "cpython/target.h"

#include <stddef.h>
#include <stdint.h>

#define CPY_VALUE_MAX 80           /* characters of a value's text, quotes and "..." included */
#define CPY_VALUE_BUF (CPY_VALUE_MAX * 4 + 1)
#define CPY_TYPE_NAME_MAX 64       /* bytes of a type name, NUL included */
#define CPY_LOCAL_NAME_MAX (64 * 4 + 1)  /* a variable name: 64 characters of UTF-8 */
#define CPY_THREAD_NAME_MAX (64 * 4 + 1) /* a thread name: 64 characters of UTF-8 */
#define CPY_LOCALS_MAX 256         /* locals shown per frame */
#define CPY_THREAD_NAMES_MAX 4096  /* threads read from threading._active */
#define CPY_DICT_SCAN_MAX 65536    /* entries a dict lookup looks at */
#define CPY_LONG_DIGITS_MAX 700    /* PyLong digits read (21000 bits): bigger ints show their size only */

/* Flags of cpy_format_chars(). */
#define CPY_FMT_QUOTE 1            /* as a repr: 'text', with \' and \\ escaped */
#define CPY_FMT_BYTES 2            /* b'...': bytes >= 0x80 escaped, sizes in bytes */

/* One value as text. */
struct cpy_value {
	uint64_t addr;                  /* the object's address in the target */
	char type[CPY_TYPE_NAME_MAX];   /* "int", "str", a tp_name, or "?" when unreadable */
	char text[CPY_VALUE_BUF];       /* UTF-8, at most CPY_VALUE_MAX characters */
};

struct cpy_local {
	char name[CPY_LOCAL_NAME_MAX];  /* UTF-8, escaped and truncated like a value */
	int cell;                       /* 1 if shown through a cell (cell or free variable) */
	struct cpy_value v;
};

/* A Python thread's name: threading's Thread.name, keyed like cpy_thread.thread_id. */
struct cpy_thread_name {
	uint64_t ident;                 /* pthread_t, as threading.get_ident() */
	char name[CPY_THREAD_NAME_MAX]; /* UTF-8, control characters escaped, truncated
					 * with "..." at a character boundary */
};

#define CPY_NAME_HINTS 16

struct cpy_objects {
	struct cpy_target *t;           /* borrowed: outlives the reader */
	struct proc_mem mem;            /* owned: the reader's own page cache */
	struct cpy_obj_layout l;        /* a copy: generated, with 3.13+ debug offsets applied */
	int have_layout;                /* 0: this version's objects cannot be read */
	struct {                        /* type objects' addresses from the interpreter's
					 * symbols; 0 when absent (then told by tp_name) */
		uint64_t long_, float_, unicode, bytes, bool_, none, dict, cell, tuple;
	} types;
	uint64_t none, true_, false_;   /* the singletons' addresses, 0 if unknown */
	struct {                        /* where a name was last found in a dict: a hint,
					 * always checked against the key found there */
		const char *name;       /* static */
		uint64_t index;
	} hints[CPY_NAME_HINTS];
};

/* Set up a reader for an attached target: its own memory reader, the
 * object layout of t's version and the type objects' addresses. Returns 0;
 * -ENOMEM, or another negative error with a message, when the reader
 * cannot be made. A version whose objects cannot be read still gets a
 * reader (have_layout = 0), whose calls then return -ENOTSUP. */
int cpy_objects_init(struct cpy_objects *o, struct cpy_target *t);
void cpy_objects_release(struct cpy_objects *o);

/* Start a new look at the target: drop the reader's cached pages. */
void cpy_objects_refresh(struct cpy_objects *o);

/* Describe the object at addr: its type name and its value as text (ints,
 * floats, str, bytes, bool, None; any other object as "<TYPE object at
 * 0x...>"). Never fails: what cannot be read is shown as such ("<?
 * unreadable object at 0x...>"). Returns 0, or -ESRCH if the process is
 * gone. */
int cpy_object_describe(struct cpy_objects *o, uint64_t addr, struct cpy_value *v);

/* Look a str key (ASCII) or an int key up in the dict at `dict`. Return 1
 * with *value set, 0 if the key is absent, -EINVAL if the dict does not
 * read as one, -ESRCH if the process is gone. */
int cpy_dict_get_str(struct cpy_objects *o, uint64_t dict, const char *key, uint64_t *value);
int cpy_dict_get_int(struct cpy_objects *o, uint64_t dict, int64_t key, uint64_t *value);

/* An attribute in an instance's __dict__ (tp_dictoffset, or the managed
 * dict and inline values of 3.11+). Same returns as cpy_dict_get_str(). */
int cpy_object_attr(struct cpy_objects *o, uint64_t obj, const char *name, uint64_t *value);

/* The names of the target's Python threads, read from each interpreter's
 * threading._active (thread ident -> Thread, then Thread._name). On return
 * *out holds *n entries (owned by the caller: free()). Returns 0; -ENOENT
 * when names are not available (threading never imported, or what was read
 * did not hold together: *n is then 0); -ENOTSUP when this version's
 * objects cannot be read; -ESRCH if the process is gone; -ENOMEM. Sets no
 * error message. Cheap enough to call once a second: a few dozen small
 * reads through the reader's page cache for a handful of threads. */
int cpy_thread_names(struct cpy_objects *o, struct cpy_thread_name **out, size_t *n);

/* The address of each of th's frames (th->depth of them, leaf first), read
 * again from the target and checked to hold the code objects of sample s.
 * Returns 0, 1 if the stack is no longer the one sampled, -ESRCH,
 * -ENOTSUP. */
int cpy_thread_frames(struct cpy_objects *o, const struct cpy_sample *s, const struct cpy_thread *th,
		      uint64_t *frames);

/* The local variables of the frame at `frame`, running code object `code`:
 * names from the code object, values from the frame (cells shown through
 * their contents); unbound ones are left out. *out gets up to
 * CPY_LOCALS_MAX entries (caller frees). Returns 0, -EINVAL if the frame or
 * code object does not read consistently, -ENOTSUP, -ESRCH, -ENOMEM. */
int cpy_frame_locals(struct cpy_objects *o, uint64_t frame, uint64_t code, struct cpy_local **out, size_t *n);

/* Pure formatting, exposed for tests. */

/* Text of n characters (kind 1, 2 or 4 bytes each; bytes for
 * CPY_FMT_BYTES) out of `total`, into out (cap >= max_chars * 4 + 1), in at
 * most max_chars characters: backslash escapes for control characters, C1
 * controls, surrogates, invisible and bidirectional format characters;
 * when it does not all fit (or n < total), cut at a character and end with
 * "..." and, for a repr, the full length: 'abc'... (1000 chars). */
void cpy_format_chars(char *out, size_t cap, const uint8_t *data, size_t n, unsigned kind, size_t total,
		      unsigned flags, size_t max_chars);
/* Decimal text of an int given as n little-endian digits of `shift` bits;
 * when longer than max_chars, "<int 1234...5678, 300 digits>". */
void cpy_format_long(char *out, size_t cap, const uint32_t *digits, size_t n, unsigned shift, int negative,
		     size_t max_chars);
/* Python's repr() of a float: the shortest text that reads back the same. */
void cpy_format_float(char *out, size_t cap, double v);

#endif
