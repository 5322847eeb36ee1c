/*
 * objects.c - Python objects read from outside the process: simple values
 * as text, dict lookups, instance attributes, thread names, frame locals.
 *
 * The target keeps running while we read it: any object may be freed and
 * its memory reused between two reads. So types are checked before their
 * fields are used, every count is bounded, and a value that does not read
 * as what it claims to be is shown as unreadable, never guessed at. This
 * file must not write to the target, and must not allocate in proportion to
 * anything the target says (every buffer is bounded by a CPY_*_MAX).
 */
#include "cpython/objects.h"
#include "cpython/debug_offsets.h"
#include "util/err.h"
#include "util/utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TPFLAGS_HEAPTYPE (1ul << 9)
#define MAX_ADDR (1ull << 57)
#define TUPLE_MAX 65536           /* items in a names tuple */
#define STR_LEN_MAX (1ll << 40)    /* a str or bytes longer than this is not believed */
#define DICT_LOG2_MAX 30

enum kind { K_OTHER, K_INT, K_BOOL, K_FLOAT, K_STR, K_BYTES, K_NONE, K_DICT, K_CELL, K_TUPLE };

static int good_ptr(uint64_t p)
{
	return p && !(p & 7) && p < MAX_ADDR;
}

static int rd(struct cpy_objects *o, uint64_t addr, void *dst, size_t len)
{
	if (!addr || addr >= MAX_ADDR)
		return -EFAULT;
	return proc_read(&o->mem, addr, dst, len);
}

static int rd_u64(struct cpy_objects *o, uint64_t addr, uint64_t *v)
{
	return rd(o, addr, v, 8);
}

/* A read failure that is the process's end, kept; any other is "does not
 * read as expected". */
static int soft(int rc)
{
	return rc == -ESRCH || rc == -ENOMEM ? rc : -EINVAL;
}

/* ---- formatting (pure) ---- */

/* Characters that must not reach a terminal or a reader as themselves:
 * controls, surrogates, and invisible or direction-changing formatting. */
static int invisible(uint32_t c)
{
	return (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) ||
	       c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb) || c == 0xad;
}

/* One character as shown: into buf (>= 11 bytes); returns its bytes and
 * sets *width to the characters it takes on screen. */
static size_t piece(uint32_t c, unsigned flags, char *buf, size_t *width)
{
	size_t n;

	if (c == '\\' && (flags & CPY_FMT_QUOTE)) {
		memcpy(buf, "\\\\", 2);
		n = 2;
	} else if (c == '\'' && (flags & CPY_FMT_QUOTE)) {
		memcpy(buf, "\\'", 2);
		n = 2;
	} else if (c == '\n' || c == '\r' || c == '\t') {
		buf[0] = '\\';
		buf[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		n = 2;
	} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || (c >= 0x80 && (flags & CPY_FMT_BYTES)) ||
		   c == 0xad) {
		n = (size_t)snprintf(buf, 11, "\\x%02x", (unsigned)c);
	} else if ((c >= 0xd800 && c <= 0xdfff) || invisible(c)) {
		n = (size_t)snprintf(buf, 11, "\\u%04x", (unsigned)c);
	} else if (c > 0x10ffff) {
		n = (size_t)snprintf(buf, 11, "\\U%08x", (unsigned)c);
	} else {
		n = pyro_utf8_encode(c, buf);
		*width = 1;
		return n;
	}
	*width = n;
	return n;
}

void cpy_format_chars(char *out, size_t cap, const uint8_t *data, size_t n, unsigned kind, size_t total,
		      unsigned flags, size_t max_chars)
{
	const char *prefix = !(flags & CPY_FMT_QUOTE) ? "" : (flags & CPY_FMT_BYTES) ? "b'" : "'";
	size_t plen = strlen(prefix), qlen = (flags & CPY_FMT_QUOTE) ? 1 : 0;
	size_t used = plen, pos = 0, i, w, len, budget, slen;
	char buf[16], suffix[64];
	int fits = n >= total;

	if (!cap)
		return;
	out[0] = '\0';
	if (flags & CPY_FMT_BYTES)
		kind = 1;
	if (kind != 1 && kind != 2 && kind != 4)
		kind = 1;
	if (n > total)
		n = total;
	for (i = 0; fits && i < n; i++) {
		piece(pyro_unit_at(data, i, kind), flags, buf, &w);
		used += w;
		if (used + qlen > max_chars)
			fits = 0;
	}
	if (fits)
		snprintf(suffix, sizeof(suffix), "%s", qlen ? "'" : "");
	else if (qlen)
		snprintf(suffix, sizeof(suffix), "'... (%zu %s)", total, (flags & CPY_FMT_BYTES) ? "bytes" : "chars");
	else
		snprintf(suffix, sizeof(suffix), "...");
	slen = strlen(suffix);
	budget = fits ? SIZE_MAX : max_chars > plen + slen ? max_chars - plen - slen : 0;
	if (plen + 1 > cap)
		return;
	memcpy(out, prefix, plen);
	pos = plen;
	for (i = 0, used = 0; i < n; i++) {
		len = piece(pyro_unit_at(data, i, kind), flags, buf, &w);
		if (used + w > budget || pos + len + slen + 1 > cap)
			break;
		memcpy(out + pos, buf, len);
		pos += len;
		used += w;
	}
	if (pos + slen + 1 <= cap) {
		memcpy(out + pos, suffix, slen);
		pos += slen;
	}
	out[pos] = '\0';
}

#define DEC_WORDS (CPY_LONG_DIGITS_MAX * 30 / 29 + 2)
#define DEC_BASE 1000000000u
#define LONG_EDGE 10 /* decimal digits shown at each end of a long int */

void cpy_format_long(char *out, size_t cap, const uint32_t *digits, size_t n, unsigned shift, int negative,
		     size_t max_chars)
{
	uint32_t words[DEC_WORDS];
	char dec[DEC_WORDS * 9 + 2];
	size_t nw = 0, i, j, len;
	int pos;

	if (!cap)
		return;
	while (n && digits[n - 1] == 0)
		n--;
	if (n == 0) {
		snprintf(out, cap, "0");
		return;
	}
	if (n > CPY_LONG_DIGITS_MAX || shift == 0 || shift > 30) {
		uint32_t top = digits[n - 1];
		unsigned bits = 0;

		while (top) {
			bits++;
			top >>= 1;
		}
		snprintf(out, cap, "<%sint of %llu bits>", negative ? "negative " : "",
			 (unsigned long long)((n - 1) * (uint64_t)shift + bits));
		return;
	}
	/* Base 2^shift to base 10^9, most significant digit first (as
	 * CPython's long_to_decimal_string). */
	for (i = n; i-- > 0;) {
		uint64_t carry = digits[i] & ((1u << shift) - 1);

		for (j = 0; j < nw; j++) {
			uint64_t z = ((uint64_t)words[j] << shift) | carry;

			words[j] = (uint32_t)(z % DEC_BASE);
			carry = z / DEC_BASE;
		}
		while (carry && nw < DEC_WORDS) {
			words[nw++] = (uint32_t)(carry % DEC_BASE);
			carry /= DEC_BASE;
		}
	}
	pos = snprintf(dec, sizeof(dec), "%s%" PRIu32, negative ? "-" : "", nw ? words[nw - 1] : 0);
	for (i = nw - 1; i-- > 0 && pos > 0 && (size_t)pos + 10 < sizeof(dec);)
		pos += snprintf(dec + pos, sizeof(dec) - (size_t)pos, "%09" PRIu32, words[i]);
	len = strlen(dec);
	if (len <= max_chars) {
		snprintf(out, cap, "%s", dec);
		return;
	}
	{
		size_t sign = negative ? 1 : 0;

		snprintf(out, cap, "<int %.*s...%s, %zu digits>", (int)(sign + LONG_EDGE), dec, dec + len - LONG_EDGE,
			 len - sign);
	}
}

void cpy_format_float(char *out, size_t cap, double v)
{
	char buf[64];
	int p, e;

	if (isnan(v)) {
		snprintf(out, cap, "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(out, cap, "%sinf", v < 0 ? "-" : "");
		return;
	}
	for (p = 1; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
	e = atoi(strchr(buf, 'e') + 1);
	/* float_repr_style 'short': fixed notation for 1e-4 <= |v| < 1e16. */
	if (e >= -4 && e < 16) {
		int decimals = p - 1 - e > 0 ? p - 1 - e : 0;

		snprintf(buf, sizeof(buf), "%.*f", decimals, v);
		if (!strchr(buf, '.'))
			strcat(buf, ".0");
	}
	snprintf(out, cap, "%s", buf);
}

/* A C string from the target (a tp_name), made safe: up to cap - 1 bytes,
 * controls replaced, valid UTF-8. */
static int read_cstr(struct cpy_objects *o, uint64_t addr, char *buf, size_t cap)
{
	size_t want = cap - 1, first = want, i;
	int rc;

	buf[0] = '\0';
	if (!addr || addr >= MAX_ADDR)
		return -EINVAL;
	/* The string may end just before an unmapped page. */
	if ((addr & (PROC_BLOCK_SIZE - 1)) + want > PROC_BLOCK_SIZE)
		first = PROC_BLOCK_SIZE - (addr & (PROC_BLOCK_SIZE - 1));
	if ((rc = rd(o, addr, buf, first)) < 0)
		return soft(rc);
	if (first < want && !memchr(buf, 0, first) && rd(o, addr + first, buf + first, want - first) < 0)
		want = first;
	buf[want] = '\0';
	for (i = 0; buf[i]; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	pyro_utf8_sanitize(buf, i);
	return i ? 0 : -EINVAL;
}

/* ---- types ---- */

static int type_name(struct cpy_objects *o, uint64_t type, char *buf, size_t cap)
{
	uint64_t name;
	int rc;

	if ((rc = rd_u64(o, type + o->l.type.tp_name, &name)) < 0)
		return soft(rc);
	return read_cstr(o, name, buf, cap);
}

/* Which simple type `type` is: by address when the symbol is known, else
 * by the name of a static (non-heap) type. name (cap bytes) gets tp_name
 * when not NULL. */
static int kind_of_type(struct cpy_objects *o, uint64_t type, char *name, size_t cap, enum kind *k)
{
	static const struct {
		const char *name;
		enum kind k;
		size_t off;
	} tab[] = {
		{ "int", K_INT, offsetof(struct cpy_objects, types.long_) },
		{ "bool", K_BOOL, offsetof(struct cpy_objects, types.bool_) },
		{ "float", K_FLOAT, offsetof(struct cpy_objects, types.float_) },
		{ "str", K_STR, offsetof(struct cpy_objects, types.unicode) },
		{ "bytes", K_BYTES, offsetof(struct cpy_objects, types.bytes) },
		{ "NoneType", K_NONE, offsetof(struct cpy_objects, types.none) },
		{ "dict", K_DICT, offsetof(struct cpy_objects, types.dict) },
		{ "cell", K_CELL, offsetof(struct cpy_objects, types.cell) },
		{ "tuple", K_TUPLE, offsetof(struct cpy_objects, types.tuple) },
	};
	char own[CPY_TYPE_NAME_MAX];
	size_t i;
	int rc, named = 0;

	*k = K_OTHER;
	if (!good_ptr(type))
		return -EINVAL;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		uint64_t a;

		memcpy(&a, (const char *)o + tab[i].off, 8);
		if (a && a == type) {
			*k = tab[i].k;
			if (name)
				snprintf(name, cap, "%s", tab[i].name);
			return 0;
		}
	}
	if (!name) {
		name = own;
		cap = sizeof(own);
	}
	if ((rc = type_name(o, type, name, cap)) < 0)
		return rc;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		uint64_t a;

		memcpy(&a, (const char *)o + tab[i].off, 8);
		if (!a && strcmp(name, tab[i].name) == 0)
			named = (int)i + 1;
	}
	if (named) {
		uint64_t flags = 0;

		/* A class of the program's may be called "int"; builtins are static types. */
		if ((rc = rd_u64(o, type + o->l.type.tp_flags, &flags)) < 0)
			return soft(rc);
		if (!(flags & TPFLAGS_HEAPTYPE))
			*k = tab[named - 1].k;
	}
	return 0;
}

static int kind_of(struct cpy_objects *o, uint64_t obj, uint64_t *type, char *name, size_t cap, enum kind *k)
{
	int rc;

	*k = K_OTHER;
	if (!good_ptr(obj))
		return -EINVAL;
	if ((rc = rd_u64(o, obj + o->t->layout.object.ob_type, type)) < 0)
		return soft(rc);
	return kind_of_type(o, *type, name, cap, k);
}

/* ---- values ---- */

/* An int's sign and up to CPY_LONG_DIGITS_MAX of its digits; *n gets its
 * full digit count. */
static int read_long(struct cpy_objects *o, uint64_t addr, uint32_t *digits, size_t *n, size_t *nread, int *negative)
{
	const struct cpy_obj_layout *l = &o->l;
	uint8_t raw[CPY_LONG_DIGITS_MAX * 4];
	uint64_t size;
	size_t i, want;
	int rc;

	if ((rc = rd_u64(o, addr + l->lng.size, &size)) < 0)
		return soft(rc);
	if (l->lng.tagged) {
		if ((size & 3) == 3)
			return -EINVAL;
		*negative = (size & 3) == 2;
		*n = (size & 3) == 1 ? 0 : (size_t)(size >> 3);
	} else {
		int64_t s = (int64_t)size;

		*negative = s < 0;
		*n = s < 0 ? (size_t)(0 - (uint64_t)s) : (size_t)s;
	}
	if (*n > (1ull << 40) || (l->lng.digit_size != 2 && l->lng.digit_size != 4))
		return -EINVAL;
	want = *n < CPY_LONG_DIGITS_MAX ? *n : CPY_LONG_DIGITS_MAX;
	if (*n > CPY_LONG_DIGITS_MAX) {
		/* Only the size can be told: read the top digit for the bit count. */
		if ((rc = rd(o, addr + l->lng.digits + (*n - 1) * l->lng.digit_size, raw, l->lng.digit_size)) < 0)
			return soft(rc);
		digits[0] = l->lng.digit_size == 2 ? (uint32_t)pyro_unit_at(raw, 0, 2) : pyro_unit_at(raw, 0, 4);
		*nread = 1;
		return 0;
	}
	if (want && (rc = rd(o, addr + l->lng.digits, raw, want * l->lng.digit_size)) < 0)
		return soft(rc);
	for (i = 0; i < want; i++) {
		digits[i] = pyro_unit_at(raw, i, l->lng.digit_size);
		if (digits[i] >> l->lng.shift)
			return -EINVAL; /* not a digit: not an int any more */
	}
	*nread = want;
	return 0;
}

/* The int at addr as a uint64 (if non-negative and it fits) or int64. */
static int long_value(struct cpy_objects *o, uint64_t addr, int *negative, uint64_t *mag)
{
	uint32_t digits[CPY_LONG_DIGITS_MAX];
	size_t n, nread, i;
	int rc = read_long(o, addr, digits, &n, &nread, negative);

	if (rc < 0)
		return rc;
	if (n > nread || (uint64_t)n * o->l.lng.shift > 64 + o->l.lng.shift)
		return 0;
	*mag = 0;
	for (i = n; i-- > 0;) {
		if (*mag >> (64 - o->l.lng.shift))
			return 0;
		*mag = (*mag << o->l.lng.shift) | digits[i];
	}
	return 1;
}

/* Up to max characters of a str: *kind, *total (its length), *n (read). */
static int read_str(struct cpy_objects *o, uint64_t addr, uint8_t *buf, size_t max, unsigned *kind, size_t *n,
		    size_t *total)
{
	const struct cpy_layout *l = &o->t->layout;
	uint32_t state;
	int64_t length;
	uint64_t data;
	int rc;

	if ((rc = rd(o, addr + l->unicode.state, &state, 4)) < 0 || (rc = rd(o, addr + l->unicode.length, &length, 8)) < 0)
		return soft(rc);
	*kind = (state >> 2) & 7;
	if ((*kind != 1 && *kind != 2 && *kind != 4) || length < 0 || length > STR_LEN_MAX)
		return -EINVAL;
	if ((state >> 5) & 1) {
		data = addr + (((state >> 6) & 1) ? l->unicode.ascii_size : l->unicode.compact_size);
	} else {
		/* A legacy string (a str subclass's instance, say): its data
		 * pointer follows the compact header. */
		if ((rc = rd_u64(o, addr + l->unicode.compact_size, &data)) < 0)
			return soft(rc);
		if (!data)
			return -EINVAL; /* not ready (before 3.12) */
	}
	*total = (size_t)length;
	*n = *total < max ? *total : max;
	if (*n && (rc = rd(o, data, buf, *n * *kind)) < 0)
		return soft(rc);
	return 0;
}

static void other(struct cpy_value *v, const char *what)
{
	snprintf(v->text, sizeof(v->text), "<%s at 0x%llx>", what, (unsigned long long)v->addr);
}

int cpy_object_describe(struct cpy_objects *o, uint64_t addr, struct cpy_value *v)
{
	const struct cpy_layout *tl = &o->t->layout;
	uint8_t buf[CPY_VALUE_MAX * 4];
	uint64_t type;
	enum kind k;
	int rc;

	memset(v, 0, sizeof(*v));
	v->addr = addr;
	snprintf(v->type, sizeof(v->type), "?");
	if (!o->have_layout) {
		other(v, "? object");
		return 0;
	}
	rc = kind_of(o, addr, &type, v->type, sizeof(v->type), &k);
	if (rc == 0 && o->none && addr == o->none)
		k = K_NONE;
	if (rc == -ESRCH)
		return rc;
	if (rc < 0) {
		snprintf(v->type, sizeof(v->type), "?");
		other(v, "? unreadable object");
		return 0;
	}
	switch (k) {
	case K_NONE:
		snprintf(v->text, sizeof(v->text), "None");
		return 0;
	case K_BOOL:
	case K_INT: {
		uint32_t digits[CPY_LONG_DIGITS_MAX];
		size_t n, nread;
		int neg;

		if ((rc = read_long(o, addr, digits, &n, &nread, &neg)) < 0)
			break;
		if (k == K_BOOL) {
			int truth = addr == o->true_ ? 1 : addr == o->false_ ? 0 : n > 0;

			snprintf(v->text, sizeof(v->text), truth ? "True" : "False");
		} else if (n > nread) {
			unsigned bits = 0;
			uint32_t top = digits[0];

			while (top) {
				bits++;
				top >>= 1;
			}
			snprintf(v->text, sizeof(v->text), "<%sint of %llu bits>", neg ? "negative " : "",
				 (unsigned long long)((n - 1) * (uint64_t)o->l.lng.shift + bits));
		} else {
			cpy_format_long(v->text, sizeof(v->text), digits, n, o->l.lng.shift, neg, CPY_VALUE_MAX);
		}
		return 0;
	}
	case K_FLOAT: {
		double d;

		if ((rc = rd(o, addr + o->l.float_value, &d, 8)) < 0)
			break;
		cpy_format_float(v->text, sizeof(v->text), d);
		return 0;
	}
	case K_STR: {
		unsigned kind;
		size_t n, total;

		if ((rc = read_str(o, addr, buf, CPY_VALUE_MAX, &kind, &n, &total)) < 0)
			break;
		cpy_format_chars(v->text, sizeof(v->text), buf, n, kind, total, CPY_FMT_QUOTE, CPY_VALUE_MAX);
		return 0;
	}
	case K_BYTES: {
		int64_t size;
		size_t n;

		if ((rc = rd(o, addr + tl->bytes.ob_size, &size, 8)) < 0)
			break;
		if (size < 0 || size > STR_LEN_MAX) {
			rc = -EINVAL;
			break;
		}
		n = (size_t)size < CPY_VALUE_MAX ? (size_t)size : CPY_VALUE_MAX;
		if (n && (rc = rd(o, addr + tl->bytes.ob_sval, buf, n)) < 0)
			break;
		cpy_format_chars(v->text, sizeof(v->text), buf, n, 1, (size_t)size, CPY_FMT_QUOTE | CPY_FMT_BYTES,
				 CPY_VALUE_MAX);
		return 0;
	}
	default: {
		char what[CPY_TYPE_NAME_MAX + 8];

		snprintf(what, sizeof(what), "%s object", v->type);
		other(v, what);
		return 0;
	}
	}
	if (rc == -ESRCH)
		return rc;
	other(v, "? unreadable object");
	return 0;
}

/* ---- dicts ---- */

struct dkeys {
	uint64_t nentries;
	uint64_t entries;          /* address of entry 0 */
	unsigned esize, key_off, value_off;
};

static int read_keys(struct cpy_objects *o, uint64_t keys, struct dkeys *k)
{
	const struct cpy_obj_layout *l = &o->l;
	uint8_t head[64];
	uint64_t size, index_bytes;
	int64_t nentries;
	int rc;

	if (!good_ptr(keys) || l->keys.indices > sizeof(head))
		return -EINVAL;
	if ((rc = rd(o, keys, head, l->keys.indices)) < 0)
		return soft(rc);
	memcpy(&nentries, head + l->keys.nentries, 8);
	if (l->keys.kind == CPY_DICTKEYS_SIZE) {
		memcpy(&size, head + l->keys.size, 8);
		if (size < 8 || size > (1ull << DICT_LOG2_MAX) || (size & (size - 1)))
			return -EINVAL;
		index_bytes = size * (size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffu ? 4 : 8);
		k->esize = l->keys.entry_size;
		k->key_off = 8;
		k->value_off = 16;
	} else {
		unsigned log2 = head[l->keys.size], log2_index = head[l->keys.log2_index_bytes], dk_kind = head[l->keys.dk_kind];

		if (log2 < 3 || log2 > DICT_LOG2_MAX || log2_index < log2 || log2_index > log2 + 3 || dk_kind > 2)
			return -EINVAL;
		size = 1ull << log2;
		index_bytes = 1ull << log2_index;
		/* DICT_KEYS_GENERAL entries keep the hash; unicode and split ones do not. */
		k->esize = dk_kind == 0 ? l->keys.entry_size : l->keys.unicode_entry_size;
		k->key_off = dk_kind == 0 ? 8 : 0;
		k->value_off = k->key_off + 8;
	}
	if (nentries < 0 || (uint64_t)nentries > size)
		return -EINVAL;
	k->nentries = (uint64_t)nentries;
	k->entries = keys + l->keys.indices + index_bytes;
	return 0;
}

struct key_query {
	const char *str;           /* an ASCII str key, or NULL */
	size_t len;
	int64_t ival;              /* else an int key */
};

/* Whether the key object at addr equals q: 1, 0, or -ESRCH. */
static int key_equals(struct cpy_objects *o, uint64_t addr, const struct key_query *q)
{
	const struct cpy_layout *tl = &o->t->layout;
	uint8_t buf[128];
	uint64_t type, mag;
	enum kind k;
	int rc, neg;

	if (!good_ptr(addr))
		return 0;
	if (q->str) {
		uint32_t state;
		int64_t len;

		if (q->len + tl->unicode.ascii_size > sizeof(buf))
			return 0;
		if ((rc = rd(o, addr, buf, tl->unicode.ascii_size + q->len)) < 0)
			return rc == -ESRCH ? rc : 0;
		memcpy(&type, buf + tl->object.ob_type, 8);
		memcpy(&state, buf + tl->unicode.state, 4);
		memcpy(&len, buf + tl->unicode.length, 8);
		if (o->types.unicode && type != o->types.unicode)
			return 0;
		/* compact and ASCII, of the right length and characters */
		return ((state >> 5) & 3) == 3 && len == (int64_t)q->len &&
		       memcmp(buf + tl->unicode.ascii_size, q->str, q->len) == 0;
	}
	if ((rc = kind_of(o, addr, &type, NULL, 0, &k)) < 0)
		return rc == -ESRCH ? rc : 0;
	if (k != K_INT)
		return 0;
	if ((rc = long_value(o, addr, &neg, &mag)) <= 0)
		return rc == -ESRCH ? rc : 0;
	if (q->ival < 0)
		return neg && mag == 0 - (uint64_t)q->ival;
	return !neg && mag == (uint64_t)q->ival;
}

/* Entry i: its key and value (from the values block when split). */
static int entry_at(struct cpy_objects *o, const struct dkeys *k, uint64_t values, uint64_t i, uint64_t *key,
		    uint64_t *value)
{
	uint8_t e[24];
	int rc;

	if (i >= k->nentries || k->esize > sizeof(e))
		return -EINVAL;
	if ((rc = rd(o, k->entries + i * k->esize, e, k->esize)) < 0)
		return soft(rc);
	memcpy(key, e + k->key_off, 8);
	if (!values) {
		memcpy(value, e + k->value_off, 8);
		return 0;
	}
	if ((rc = rd_u64(o, values + o->l.keys.values + i * 8, value)) < 0)
		return soft(rc);
	return 0;
}

static size_t hint_slot(const char *name)
{
	size_t h = 5381;

	while (*name)
		h = h * 33 + (unsigned char)*name++;
	return h % CPY_NAME_HINTS;
}

/* Find q among the entries, trying first where it was found last time. */
static int keys_find(struct cpy_objects *o, const struct dkeys *k, uint64_t values, uint64_t values_cap,
		     const struct key_query *q, uint64_t *value)
{
	size_t slot = q->str ? hint_slot(q->str) : 0;
	uint64_t i, key, n = k->nentries < values_cap ? k->nentries : values_cap;
	int rc;

	if (n > CPY_DICT_SCAN_MAX)
		return -EINVAL;
	if (q->str && o->hints[slot].name == q->str && o->hints[slot].index < n) {
		i = o->hints[slot].index;
		if ((rc = entry_at(o, k, values, i, &key, value)) < 0)
			return rc;
		if ((rc = key_equals(o, key, q)) != 0)
			return rc < 0 ? rc : *value != 0;
	}
	for (i = 0; i < n; i++) {
		if ((rc = entry_at(o, k, values, i, &key, value)) < 0)
			return rc;
		if (!key)
			continue; /* deleted */
		rc = key_equals(o, key, q);
		if (rc < 0)
			return rc;
		if (rc) {
			if (q->str) {
				o->hints[slot].name = q->str;
				o->hints[slot].index = i;
			}
			return *value != 0;
		}
	}
	return 0;
}

/* A values block's capacity (3.13+ keeps it), else unbounded. */
static int values_capacity(struct cpy_objects *o, uint64_t values, uint64_t *cap)
{
	uint8_t c;
	int rc;

	*cap = UINT64_MAX;
	if (!values || o->l.keys.values_capacity == CPY_FIELD_NONE)
		return 0;
	if ((rc = rd(o, values + o->l.keys.values_capacity, &c, 1)) < 0)
		return soft(rc);
	*cap = c;
	return 0;
}

static int dict_find(struct cpy_objects *o, uint64_t dict, const struct key_query *q, uint64_t *value)
{
	uint64_t type, keys, values, cap;
	struct dkeys k;
	enum kind kind;
	int rc;

	*value = 0;
	if (!o->have_layout)
		return -ENOTSUP;
	if ((rc = kind_of(o, dict, &type, NULL, 0, &kind)) < 0)
		return rc;
	if (kind != K_DICT)
		return -EINVAL;
	if ((rc = rd_u64(o, dict + o->l.dict.ma_keys, &keys)) < 0 || (rc = rd_u64(o, dict + o->l.dict.ma_values, &values)) < 0)
		return soft(rc);
	if ((values && !good_ptr(values)) || (rc = read_keys(o, keys, &k)) < 0 ||
	    (rc = values_capacity(o, values, &cap)) < 0)
		return rc < 0 ? rc : -EINVAL;
	return keys_find(o, &k, values, cap, q, value);
}

int cpy_dict_get_str(struct cpy_objects *o, uint64_t dict, const char *key, uint64_t *value)
{
	struct key_query q = { key, strlen(key), 0 };

	return dict_find(o, dict, &q, value);
}

int cpy_dict_get_int(struct cpy_objects *o, uint64_t dict, int64_t key, uint64_t *value)
{
	struct key_query q = { NULL, 0, key };

	return dict_find(o, dict, &q, value);
}

/* ---- attributes ---- */

/* Look name up in values laid out by the type's shared keys. */
static int shared_find(struct cpy_objects *o, uint64_t type, uint64_t values, const struct key_query *q,
		       uint64_t *value)
{
	uint64_t keys, cap;
	struct dkeys k;
	int rc;

	if ((rc = rd_u64(o, type + o->l.type.ht_cached_keys, &keys)) < 0)
		return soft(rc);
	if ((rc = read_keys(o, keys, &k)) < 0 || (rc = values_capacity(o, values, &cap)) < 0)
		return rc;
	return keys_find(o, &k, values, cap, q, value);
}

int cpy_object_attr(struct cpy_objects *o, uint64_t obj, const char *name, uint64_t *value)
{
	const struct cpy_obj_layout *l = &o->l;
	struct key_query q = { name, strlen(name), 0 };
	uint64_t type, flags, dict = 0, values = 0, ptr;
	int64_t dictoffset, basicsize, itemsize, obsize;
	int rc;

	*value = 0;
	if (!o->have_layout)
		return -ENOTSUP;
	if (!good_ptr(obj))
		return -EINVAL;
	if ((rc = rd_u64(o, obj + o->t->layout.object.ob_type, &type)) < 0 || !good_ptr(type) ||
	    (rc = rd_u64(o, type + l->type.tp_flags, &flags)) < 0 ||
	    (rc = rd(o, type + l->type.tp_dictoffset, &dictoffset, 8)) < 0 ||
	    (rc = rd(o, type + l->type.tp_basicsize, &basicsize, 8)) < 0)
		return rc < 0 ? soft(rc) : -EINVAL;
	if (basicsize < 16 || basicsize > (1 << 20))
		return -EINVAL;
	if (l->managed.kind && (flags & l->managed.flag)) {
		if ((rc = rd_u64(o, obj - l->managed.dict_pre, &ptr)) < 0)
			return soft(rc);
		switch (l->managed.kind) {
		case CPY_MANAGED_311:
			dict = ptr;
			if ((rc = rd_u64(o, obj - l->managed.values_pre, &values)) < 0)
				return soft(rc);
			break;
		case CPY_MANAGED_312:
			if (ptr & 1)
				values = ptr + 1; /* stored as values - 1 (_PyDictOrValues_GetValues) */
			else
				dict = ptr;
			break;
		default:
			dict = ptr;
			if (!dict && (flags & l->managed.inline_flag)) {
				uint8_t valid = 0;

				values = obj + (uint64_t)basicsize;
				if ((rc = rd(o, values + l->keys.values_valid, &valid, 1)) < 0)
					return soft(rc);
				if (!valid)
					return 0; /* no dict and no values: no attributes */
			}
			break;
		}
		if (values) {
			if (!good_ptr(values))
				return -EINVAL;
			return shared_find(o, type, values, &q, value);
		}
	} else if (dictoffset) {
		if (dictoffset < 0) {
			/* Variable-sized objects: counted from the end (_PyObject_VAR_SIZE). */
			if ((rc = rd(o, type + l->type.tp_itemsize, &itemsize, 8)) < 0 ||
			    (rc = rd(o, obj + o->t->layout.object.ob_size, &obsize, 8)) < 0)
				return soft(rc);
			if (itemsize < 0 || itemsize > 4096 || obsize < -(1 << 20) || obsize > (1 << 20))
				return -EINVAL;
			dictoffset += (((basicsize + (obsize < 0 ? -obsize : obsize) * itemsize) + 7) & ~7ll);
		}
		if (dictoffset < 16 || dictoffset > (1 << 20) || (dictoffset & 7))
			return -EINVAL;
		if ((rc = rd_u64(o, obj + (uint64_t)dictoffset, &dict)) < 0)
			return soft(rc);
	}
	if (!dict)
		return 0;
	return dict_find(o, dict, &q, value);
}

/* ---- thread names ---- */

static int add_name(struct cpy_objects *o, uint64_t key, uint64_t thread, struct cpy_thread_name **out, size_t *n,
		    size_t *cap)
{
	uint8_t buf[CPY_THREAD_NAME_MAX];
	uint64_t type, name, ident;
	size_t got, total, max_chars = (CPY_THREAD_NAME_MAX - 1) / 4;
	unsigned kind;
	enum kind k;
	int rc, neg;

	if ((rc = kind_of(o, key, &type, NULL, 0, &k)) < 0 || k != K_INT)
		return rc == -ESRCH ? rc : 0;
	if ((rc = long_value(o, key, &neg, &ident)) <= 0 || neg)
		return rc == -ESRCH ? rc : 0;
	if ((rc = cpy_object_attr(o, thread, "_name", &name)) <= 0)
		return rc == -ESRCH ? rc : 0;
	if ((rc = kind_of(o, name, &type, NULL, 0, &k)) < 0 || k != K_STR)
		return rc == -ESRCH ? rc : 0;
	if ((rc = read_str(o, name, buf, max_chars, &kind, &got, &total)) < 0)
		return rc == -ESRCH ? rc : 0;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct cpy_thread_name *v = realloc(*out, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		*out = v;
		*cap = nc;
	}
	(*out)[*n].ident = ident;
	cpy_format_chars((*out)[*n].name, sizeof((*out)[*n].name), buf, got, kind, total, 0, max_chars);
	(*n)++;
	return 0;
}

/* The names in one interpreter's threading._active. 1 if threading is
 * there, 0 if not, negative if it does not read. */
static int names_of(struct cpy_objects *o, uint64_t interp, struct cpy_thread_name **out, size_t *n, size_t *cap)
{
	uint64_t modules, mod, mdict, active, keys, values, cap_v, i, key, value;
	struct dkeys k;
	uint64_t type;
	enum kind kind;
	int rc;

	if ((rc = rd_u64(o, interp + o->l.interp_modules, &modules)) < 0)
		return soft(rc);
	if (!modules)
		return 0;
	if ((rc = cpy_dict_get_str(o, modules, "threading", &mod)) <= 0)
		return rc;
	if ((rc = rd_u64(o, mod + o->l.module_dict, &mdict)) < 0)
		return soft(rc);
	if ((rc = cpy_dict_get_str(o, mdict, "_active", &active)) <= 0)
		return rc < 0 ? rc : -EINVAL;
	if ((rc = kind_of(o, active, &type, NULL, 0, &kind)) < 0)
		return rc;
	if (kind != K_DICT)
		return -EINVAL;
	if ((rc = rd_u64(o, active + o->l.dict.ma_keys, &keys)) < 0 ||
	    (rc = rd_u64(o, active + o->l.dict.ma_values, &values)) < 0)
		return soft(rc);
	if ((rc = read_keys(o, keys, &k)) < 0 || (rc = values_capacity(o, values, &cap_v)) < 0)
		return rc;
	for (i = 0; i < k.nentries && i < cap_v && i < CPY_THREAD_NAMES_MAX; i++) {
		if ((rc = entry_at(o, &k, values, i, &key, &value)) < 0)
			return rc;
		if (!key || !value)
			continue;
		if ((rc = add_name(o, key, value, out, n, cap)) < 0)
			return rc;
	}
	return 1;
}

int cpy_thread_names(struct cpy_objects *o, struct cpy_thread_name **out, size_t *n)
{
	const struct cpy_layout *tl = &o->t->layout;
	uint64_t interp;
	size_t cap = 0, ni;
	int rc, found = 0;

	*out = NULL;
	*n = 0;
	if (!o->have_layout)
		return -ENOTSUP;
	cpy_objects_refresh(o);
	if ((rc = rd_u64(o, o->t->runtime_addr + tl->runtime.interpreters_head, &interp)) < 0)
		return rc == -ESRCH ? rc : -ENOENT;
	for (ni = 0; interp && ni < CPY_MAX_INTERPRETERS; ni++) {
		if (!good_ptr(interp)) {
			rc = -EINVAL;
			break;
		}
		rc = names_of(o, interp, out, n, &cap);
		if (rc < 0)
			break;
		found |= rc;
		if ((rc = rd_u64(o, interp + tl->interp.next, &interp)) < 0)
			break;
	}
	if (rc == -ESRCH || rc == -ENOMEM || rc < 0 || !found) {
		free(*out);
		*out = NULL;
		*n = 0;
		return rc == -ESRCH || rc == -ENOMEM ? rc : -ENOENT;
	}
	return 0;
}

/* ---- frames and locals ---- */

int cpy_thread_frames(struct cpy_objects *o, const struct cpy_sample *s, const struct cpy_thread *th,
		      uint64_t *frames)
{
	const struct cpy_layout *l = &o->t->layout;
	uint64_t frame, cframe, prev, code;
	uint32_t k = 0, steps;
	int rc;

	if (!o->have_layout)
		return -ENOTSUP;
	if ((rc = rd_u64(o, th->tstate + l->tstate.frame, &frame)) < 0)
		return rc == -ESRCH ? rc : 1;
	if (l->tstate.frame_link == CPY_FRAME_VIA_CFRAME) {
		cframe = frame;
		frame = 0;
		if (cframe && (rc = rd_u64(o, cframe + l->tstate.cframe_current_frame, &frame)) < 0)
			return rc == -ESRCH ? rc : 1;
	}
	for (steps = 0; frame && steps < 2 * CPY_MAX_DEPTH; steps++) {
		uint8_t owner = 0;

		if (!good_ptr(frame))
			return 1;
		if ((rc = rd_u64(o, frame + l->frame.previous, &prev)) < 0 ||
		    (rc = rd_u64(o, frame + l->frame.code, &code)) < 0 ||
		    (l->frame.owner != CPY_FIELD_NONE && (rc = rd(o, frame + l->frame.owner, &owner, 1)) < 0))
			return rc == -ESRCH ? rc : 1;
		if (l->frame.owner != CPY_FIELD_NONE && owner == l->frame.owner_cstack) {
			frame = prev;
			continue;
		}
		if (k >= th->depth || !s->frames[th->first + k].code || code != s->frames[th->first + k].code->addr)
			return 1;
		frames[k++] = frame;
		frame = prev;
	}
	return k == th->depth && !frame ? 0 : 1;
}

/* Up to max item pointers of a tuple; *n gets its full size. */
static int tuple_items(struct cpy_objects *o, uint64_t tuple, uint64_t *items, size_t max, size_t *n)
{
	uint64_t type;
	int64_t size;
	enum kind k;
	int rc;

	*n = 0;
	if ((rc = kind_of(o, tuple, &type, NULL, 0, &k)) < 0)
		return rc;
	if (k != K_TUPLE)
		return -EINVAL;
	if ((rc = rd(o, tuple + o->t->layout.object.ob_size, &size, 8)) < 0)
		return soft(rc);
	if (size < 0 || size > TUPLE_MAX)
		return -EINVAL;
	*n = (size_t)size;
	if (*n && (rc = rd(o, tuple + o->l.tuple_items, items, 8 * (*n < max ? *n : max))) < 0)
		return soft(rc);
	return 0;
}

static int local_name(struct cpy_objects *o, uint64_t str, char *out, size_t cap)
{
	uint8_t buf[CPY_LOCAL_NAME_MAX];
	size_t got, total, max_chars = (cap - 1) / 4;
	unsigned kind;
	uint64_t type;
	enum kind k;
	int rc;

	if ((rc = kind_of(o, str, &type, NULL, 0, &k)) < 0)
		return rc;
	if (k != K_STR)
		return -EINVAL;
	if ((rc = read_str(o, str, buf, max_chars < sizeof(buf) / 4 ? max_chars : sizeof(buf) / 4, &kind, &got,
			   &total)) < 0)
		return rc;
	cpy_format_chars(out, cap, buf, got, kind, total, 0, max_chars);
	return 0;
}

#define NAMES_MAX 4096 /* local names a code object may have, at most */

int cpy_frame_locals(struct cpy_objects *o, uint64_t frame, uint64_t code, struct cpy_local **out, size_t *n)
{
	const struct cpy_obj_layout *l = &o->l;
	uint64_t *names = NULL, *vals = NULL, tuple;
	uint8_t *kinds = NULL;
	size_t count = 0, i, shown;
	struct cpy_local *res = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if (!o->have_layout)
		return -ENOTSUP;
	names = calloc(NAMES_MAX, sizeof(*names));
	vals = calloc(NAMES_MAX, sizeof(*vals));
	kinds = calloc(NAMES_MAX, 1);
	if (!names || !vals || !kinds) {
		rc = -ENOMEM;
		goto out;
	}
	if (l->locals.names != CPY_FIELD_NONE) {
		uint64_t kb;
		int64_t klen;

		if ((rc = rd_u64(o, code + l->locals.names, &tuple)) < 0 ||
		    (rc = rd_u64(o, code + l->locals.kinds, &kb)) < 0) {
			rc = soft(rc);
			goto out;
		}
		if ((rc = tuple_items(o, tuple, names, NAMES_MAX, &count)) < 0)
			goto out;
		if ((rc = rd(o, kb + o->t->layout.bytes.ob_size, &klen, 8)) < 0) {
			rc = soft(rc);
			goto out;
		}
		if (count > NAMES_MAX || klen != (int64_t)count) {
			rc = -EINVAL;
			goto out;
		}
		if (count && (rc = rd(o, kb + o->t->layout.bytes.ob_sval, kinds, count)) < 0) {
			rc = soft(rc);
			goto out;
		}
	} else {
		const uint32_t offs[3] = { l->locals.varnames, l->locals.cellvars, l->locals.freevars };
		int part;

		for (part = 0; part < 3; part++) {
			size_t got;

			if ((rc = rd_u64(o, code + offs[part], &tuple)) < 0) {
				rc = soft(rc);
				goto out;
			}
			if ((rc = tuple_items(o, tuple, names + count, NAMES_MAX - count, &got)) < 0)
				goto out;
			if (got > NAMES_MAX - count) {
				rc = -EINVAL;
				goto out;
			}
			memset(kinds + count, part ? 0x40 : 0, got); /* cells and frees read through */
			count += got;
		}
	}
	if (count && (rc = rd(o, frame + l->locals.frame, vals, count * 8)) < 0) {
		rc = soft(rc);
		goto out;
	}
	res = calloc(count < CPY_LOCALS_MAX ? (count ? count : 1) : CPY_LOCALS_MAX, sizeof(*res));
	if (!res) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0, shown = 0; i < count && shown < CPY_LOCALS_MAX; i++) {
		unsigned cellish = l->locals.names != CPY_FIELD_NONE ? (kinds[i] & (l->locals.kind_cell | l->locals.kind_free))
								    : kinds[i];
		struct cpy_local *loc = &res[shown];
		uint64_t v = vals[i];

		if (!v || (l->locals.kind_hidden && (kinds[i] & l->locals.kind_hidden)))
			continue;
		if (cellish) {
			uint64_t type;
			enum kind k;

			/* Until MAKE_CELL runs (3.11+), the slot holds the value itself. */
			rc = kind_of(o, v, &type, NULL, 0, &k);
			if (rc == -ESRCH)
				goto out;
			if (rc == 0 && k == K_CELL) {
				if ((rc = rd_u64(o, v + l->cell_ref, &v)) < 0) {
					rc = soft(rc);
					goto out;
				}
				if (!v)
					continue; /* an empty cell: unbound */
				loc->cell = 1;
			}
		}
		rc = local_name(o, names[i], loc->name, sizeof(loc->name));
		if (rc == -ESRCH)
			goto out;
		if (rc < 0)
			snprintf(loc->name, sizeof(loc->name), "?");
		if ((rc = cpy_object_describe(o, v, &loc->v)) < 0)
			goto out;
		shown++;
	}
	*out = res;
	*n = shown;
	res = NULL;
	rc = 0;
out:
	free(res);
	free(names);
	free(vals);
	free(kinds);
	return rc;
}

/* ---- set-up ---- */

void cpy_objects_refresh(struct cpy_objects *o)
{
	proc_mem_invalidate(&o->mem);
}

int cpy_objects_init(struct cpy_objects *o, struct cpy_target *t)
{
	static const char *const names[] = {
		"PyLong_Type", "PyFloat_Type", "PyUnicode_Type", "PyBytes_Type", "PyBool_Type", "_PyNone_Type",
		"PyDict_Type", "PyCell_Type", "PyTuple_Type", "_Py_NoneStruct", "_Py_TrueStruct", "_Py_FalseStruct",
	};
	uint64_t addrs[sizeof(names) / sizeof(names[0])];
	unsigned major = t->hexversion >> 24, minor = (t->hexversion >> 16) & 0xff, i;
	const struct cpy_obj_layout *best = NULL;
	int rc;

	memset(o, 0, sizeof(*o));
	o->t = t;
	rc = proc_mem_init(&o->mem, t->pid);
	if (rc < 0)
		return rc;
	/* The generated layout of this version, or of the newest older one
	 * for a version newer than any generated (then read through its
	 * _Py_DebugOffsets, which must replace what it can). */
	for (i = 0; i < cpy_obj_layouts_count; i++)
		if (cpy_obj_layouts[i].version <= (major << 8 | minor) &&
		    (!best || cpy_obj_layouts[i].version > best->version))
			best = &cpy_obj_layouts[i];
	if (best && (best->version == (major << 8 | minor) || t->from_debug_offsets)) {
		o->l = *best;
		o->have_layout = 1;
	}
	if (o->have_layout && t->from_debug_offsets) {
		struct cpy_debug_offsets_313 d;

		if (proc_read_direct(&o->mem, t->runtime_addr, &d, sizeof(d)) < 0 ||
		    cpy_debug_offsets_objects(&d, &o->l) < 0) {
			pyro_err_clear();
			o->have_layout = 0;
		}
	}
	if (cpy_target_symbols(t, names, addrs, sizeof(names) / sizeof(names[0])) < 0) {
		pyro_err_clear();
		return 0; /* types are then told by name */
	}
	o->types.long_ = addrs[0];
	o->types.float_ = addrs[1];
	o->types.unicode = addrs[2];
	o->types.bytes = addrs[3];
	o->types.bool_ = addrs[4];
	o->types.none = addrs[5];
	o->types.dict = addrs[6];
	o->types.cell = addrs[7];
	o->types.tuple = addrs[8];
	o->none = addrs[9];
	o->true_ = addrs[10];
	o->false_ = addrs[11];
	return 0;
}

void cpy_objects_release(struct cpy_objects *o)
{
	proc_mem_release(&o->mem);
	memset(o, 0, sizeof(*o));
}
