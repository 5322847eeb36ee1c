/*
 * walk.c - one sample: interpreters -> threads -> frames -> code objects.
 *
 * Everything read here comes from a process that keeps running while we
 * read it, so any pointer may be stale. The walk bounds every list, checks
 * alignment and plausibility, and marks a thread torn rather than follow a
 * value it cannot trust. A thread's stack is read first from the guards the
 * prefetch read twice (its frame link and recent frames' headers: the stack
 * at one moment when both copies agree), else from the page cache. After
 * the walk, the code objects its frames use are decoded if the cache lacks
 * them, and one system call then reads again every byte those code objects
 * were decoded from and, for a walk not read from the guards, what it
 * started from: the sample is kept only if nothing moved.
 */
#include "cpython/target.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/utf8.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SEEN_CAP 16384
#define FRAME_BUF_MAX 256
#define MAX_OWNER 4

static int rd_u64(struct cpy_target *t, uint64_t addr, uint64_t *v)
{
	return proc_read(&t->mem, addr, v, sizeof(*v));
}

/* The code unit a frame's instruction field points at. `field` holds the
 * field's bytes as read (8 for a pointer, 4 for f_lasti). Unsigned
 * differences: a torn frame may hold any bits, and signed overflow would be
 * undefined. The result is checked against the code's length later. */
static int64_t instr_unit(const struct cpy_layout *l, const uint8_t *field, uint64_t code)
{
	uint64_t ptr;
	int32_t lasti;

	switch (l->frame.instr_kind) {
	case CPY_INSTR_LASTI_BYTES:
		memcpy(&lasti, field, 4);
		return lasti < 0 ? -1 : lasti / 2;
	case CPY_INSTR_LASTI_UNITS:
		memcpy(&lasti, field, 4);
		return lasti < 0 ? -1 : lasti;
	default:
		memcpy(&ptr, field, 8);
		return (int64_t)(ptr - (code + l->code.code_adaptive)) / 2;
	}
}

static size_t instr_width(const struct cpy_layout *l)
{
	return l->frame.instr_kind == CPY_INSTR_LASTI_BYTES || l->frame.instr_kind == CPY_INSTR_LASTI_UNITS ? 4 : 8;
}

/* Returns 1 if addr was already seen in this walk, else records it. */
static int seen_before(struct cpy_target *t, uint64_t addr)
{
	size_t i, probes;

	for (i = pyro_hash_mix(addr) & (SEEN_CAP - 1), probes = 0; probes < SEEN_CAP;
	     i = (i + 1) & (SEEN_CAP - 1), probes++) {
		if (t->seen_gen[i] != t->gen) {
			t->seen_gen[i] = t->gen;
			t->seen[i] = addr;
			return 0;
		}
		if (t->seen[i] == addr)
			return 1;
	}
	return 1;
}

static void new_walk(struct cpy_target *t)
{
	if (++t->gen == 0) {
		memset(t->seen_gen, 0, SEEN_CAP * sizeof(*t->seen_gen));
		t->gen = 1;
	}
}

/* Read len bytes at addr for a walk: through the page cache, or (guarded)
 * only from the prefetch's guards (proc_mem_guard_get), -EAGAIN when they
 * do not hold them unchanged. */
static int walk_read(struct cpy_target *t, int guarded, uint64_t addr, void *dst, size_t len)
{
	if (!guarded)
		return proc_read(&t->mem, addr, dst, len);
	return proc_mem_guard_get(&t->mem, addr, len, dst, NULL) ? 0 : -EAGAIN;
}

/* The thread's innermost frame, through the page cache or the guards. *cframe
 * gets the _PyCFrame it was found through (0 when the layout has none). */
static int current_frame(struct cpy_target *t, int guarded, uint64_t tstate, uint64_t *frame, uint64_t *cframe)
{
	const struct cpy_layout *l = &t->layout;
	int rc;

	*cframe = 0;
	if (l->tstate.frame_link == CPY_FRAME_DIRECT)
		return walk_read(t, guarded, tstate + l->tstate.frame, frame, 8);
	rc = walk_read(t, guarded, tstate + l->tstate.frame, cframe, 8);
	if (rc < 0)
		return rc;
	if (!*cframe) {
		*frame = 0;
		return 0;
	}
	return walk_read(t, guarded, *cframe + l->tstate.cframe_current_frame, frame, 8);
}

/* The thread state's pthread_t and, from 3.11, kernel thread id. */
static int thread_ids(struct cpy_target *t, uint64_t ts, struct cpy_thread *th)
{
	const struct cpy_layout *l = &t->layout;
	int rc = rd_u64(t, ts + l->tstate.thread_id, &th->thread_id);

	if (rc == 0 && l->tstate.native_thread_id != CPY_FIELD_NONE)
		rc = rd_u64(t, ts + l->tstate.native_thread_id, &th->native_id);
	return rc;
}

/* Walk one thread's frames into s->raw_*, through the page cache or only
 * from the guards; returns 0, -ESRCH, or 1 if torn (or, guarded, a frame
 * the guards do not hold). The addresses of the first GUARD_DEPTH frames
 * read go to t->walked. */
static int walk_frames(struct cpy_target *t, int guarded, struct cpy_sample *s, uint64_t frame, uint32_t *depth)
{
	const struct cpy_layout *l = &t->layout;
	uint8_t buf[FRAME_BUF_MAX], last[FRAME_BUF_MAX];
	size_t fsize = l->frame.size < FRAME_BUF_MAX ? l->frame.size : FRAME_BUF_MAX;

	new_walk(t);
	*depth = 0;
	t->nwalked = 0;
	while (frame) {
		uint64_t code, prev;
		int rc;

		if (*depth >= CPY_MAX_DEPTH || (frame & 7) || seen_before(t, frame))
			return 1;
		if (guarded) {
			/* Both copies must agree on what the walk follows; the
			 * innermost frame's instruction moves as it runs, and the
			 * first copy's is as good as any. */
			if (!proc_mem_guard_get(&t->mem, frame, fsize, buf, last) ||
			    memcmp(buf + l->frame.previous, last + l->frame.previous, 8) != 0 ||
			    memcmp(buf + l->frame.code, last + l->frame.code, 8) != 0 ||
			    (l->frame.owner != CPY_FIELD_NONE && buf[l->frame.owner] != last[l->frame.owner]) ||
			    (*depth > 0 && memcmp(buf + l->frame.instr, last + l->frame.instr, instr_width(l)) != 0))
				return 1;
		} else {
			rc = proc_read(&t->mem, frame, buf, fsize);
			if (rc == -ESRCH)
				return rc;
			if (rc < 0)
				return 1;
		}
		if (t->nwalked < GUARD_DEPTH)
			t->walked[t->nwalked] = frame;
		t->nwalked++;
		memcpy(&prev, buf + l->frame.previous, 8);
		if (l->frame.owner != CPY_FIELD_NONE) {
			uint8_t owner = buf[l->frame.owner];

			if (owner > MAX_OWNER)
				return 1;
			if (owner == l->frame.owner_cstack) {
				frame = prev;
				continue;
			}
		}
		memcpy(&code, buf + l->frame.code, 8);
		if (!code || (code & 7))
			return 1;
		if (s->nframes + 1 > s->cap_raw) {
			size_t cap = s->cap_raw;
			int64_t *nu;

			if (pyro_array_grow((void **)&s->raw_code, &cap, s->nframes + 1, sizeof(*s->raw_code), SIZE_MAX) < 0)
				return -ENOMEM;
			/* raw_unit is parallel to raw_code: same capacity. */
			nu = realloc(s->raw_unit, cap * sizeof(*nu));
			if (!nu)
				return -ENOMEM;
			s->raw_unit = nu;
			s->cap_raw = cap;
		}
		if (*depth == 0) {
			s->raw_frame_first = frame;
			s->raw_prev_first = prev;
		} else if (*depth == 1)
			s->raw_frame_second = frame;
		s->raw_code[s->nframes] = code;
		s->raw_unit[s->nframes] = instr_unit(l, buf + l->frame.instr, code);
		s->nframes++;
		(*depth)++;
		frame = prev;
	}
	return 0;
}

#define WALK_TRIES 3
#define DECODE_FAILS 8 /* per walk: a torn walk can hand over thousands of bad pointers */

/* Room in t->chk for n regions and bytes of code snapshots. */
static int chk_reserve(struct cpy_target *t, size_t n, size_t bytes)
{
	size_t cap = t->chk.cap;

	if (n > cap) {
		if (pyro_array_grow((void **)&t->chk.addr, &cap, n, sizeof(*t->chk.addr), SIZE_MAX) < 0)
			return -ENOMEM;
		cap = t->chk.cap;
		if (pyro_array_grow((void **)&t->chk.len, &cap, n, sizeof(*t->chk.len), SIZE_MAX) < 0)
			return -ENOMEM;
		cap = t->chk.cap;
		if (pyro_array_grow((void **)&t->chk.dst, &cap, n, sizeof(*t->chk.dst), SIZE_MAX) < 0)
			return -ENOMEM;
		cap = t->chk.cap;
		if (pyro_array_grow((void **)&t->chk.ok, &cap, n, sizeof(*t->chk.ok), SIZE_MAX) < 0)
			return -ENOMEM;
		t->chk.cap = cap;
	}
	return pyro_array_grow((void **)&t->chk.buf, &t->chk.cap_buf, bytes ? bytes : 1, 1, SIZE_MAX);
}

/* The distinct, fresh code entries of th's frames, into t->chk.codes;
 * returns how many, or -ENOMEM. *regions and *bytes get their snapshots' size. */
static ssize_t thread_codes(struct cpy_target *t, const struct cpy_sample *s, const struct cpy_thread *th,
			    size_t *regions, size_t *bytes)
{
	uint32_t gen = ++t->check_gen ? t->check_gen : ++t->check_gen;
	size_t n = 0;
	uint32_t k;

	*regions = *bytes = 0;
	for (k = th->first; k < th->first + th->depth; k++) {
		struct cpy_code *e = cpy_code_cache_get(&t->codes, s->raw_code[k]);

		if (!e || e->stale || e->check_gen == gen)
			continue;
		e->check_gen = gen;
		if (pyro_array_grow((void **)&t->chk.codes, &t->chk.cap_codes, n + 1, sizeof(*t->chk.codes), SIZE_MAX) < 0)
			return -ENOMEM;
		t->chk.codes[n++] = e;
		*regions += e->nsnap;
		*bytes += e->snap_len;
	}
	return (ssize_t)n;
}

/* After a walk and the decoding of its code objects, read again, straight
 * from the target and in one system call, what the walk started from (the
 * thread's frame link and _PyCFrame, the innermost frame's code and link to
 * its caller, the caller's code and instruction) and every byte the thread's code objects
 * were decoded from. Frames below an unchanged innermost frame cannot have
 * changed; a frame popped and another pushed at the same address shows a
 * different code object or a caller that moved on. A code object freed and
 * another allocated at its address between the walk and the decoding shows
 * other bytes (code_objects.h): its entry is marked stale. A walk read
 * at_one_moment (from the guards) is not read again: only the thread's ids
 * and its code objects are. Returns 1 if nothing changed, 0 if
 * something did, -ESRCH if the process is gone, -ENOMEM. */
static int stack_unchanged(struct cpy_target *t, uint64_t ts, uint64_t cframe, uint64_t frame, const struct cpy_thread *th,
			   const struct cpy_sample *s, int at_one_moment)
{
	const struct cpy_layout *l = &t->layout;
	uint64_t link = 0, cur = 0, code = 0, prev = 0, caller_code = 0, thread_id = 0, native_id = 0;
	uint8_t caller_instr[8] = { 0 };
	size_t n = 0, i, regions, bytes, off;
	ssize_t ncodes;
	int check_link = !at_one_moment;
	int check_code = check_link && frame && th->depth > 0 && s->raw_frame_first == frame;
	int check_caller = check_link && th->depth > 1;
	int rc, same = 1;

	ncodes = thread_codes(t, s, th, &regions, &bytes);
	if (ncodes < 0 || chk_reserve(t, 8 + regions, bytes) < 0)
		return -ENOMEM;
#define CHK_ADD(a, l_, d) (t->chk.addr[n] = (a), t->chk.len[n] = (l_), t->chk.dst[n] = (d), n++)
	if (check_link)
		CHK_ADD(ts + l->tstate.frame, 8, &link);
	CHK_ADD(ts + l->tstate.thread_id, 8, &thread_id);
	if (l->tstate.native_thread_id != CPY_FIELD_NONE)
		CHK_ADD(ts + l->tstate.native_thread_id, 8, &native_id);
	else
		native_id = th->native_id;
	if (check_link && cframe)
		CHK_ADD(cframe + l->tstate.cframe_current_frame, 8, &cur);
	if (check_code) {
		CHK_ADD(frame + l->frame.code, 8, &code);
		CHK_ADD(frame + l->frame.previous, 8, &prev);
	}
	if (check_caller) {
		CHK_ADD(s->raw_frame_second + l->frame.instr, instr_width(l), caller_instr);
		CHK_ADD(s->raw_frame_second + l->frame.code, 8, &caller_code);
	}
	for (i = 0, off = 0; i < (size_t)ncodes; i++) {
		const struct cpy_code *e = t->chk.codes[i];
		uint32_t r;

		for (r = 0; r < e->nsnap; r++) {
			CHK_ADD(e->snap[r].addr, e->snap[r].len, t->chk.buf + off);
			off += e->snap[r].len;
		}
	}
#undef CHK_ADD
	rc = proc_readv(&t->mem, n, t->chk.addr, t->chk.len, t->chk.dst, t->chk.ok);
	if (rc < 0)
		return rc == -ESRCH ? rc : 0;
	for (i = 0; i < n - regions; i++)
		if (!t->chk.ok[i])
			return 0;
	if (check_link && (cframe ? (link != cframe || cur != frame) : link != frame))
		return 0;
	/* A thread state made for a new thread carries its creator's ids
	 * until the thread starts, which sets them before its first frame:
	 * ids read before the start and frames after would put the new
	 * thread's stack under its creator. */
	if (thread_id != th->thread_id || native_id != th->native_id)
		return 0;
	/* The innermost frame read may be a C-stack shim (3.12+), whose code is
	 * not the first Python frame's: compare only when it is that frame. */
	if (check_code && (code != s->raw_code[th->first] || prev != s->raw_prev_first))
		return 0;
	/* A callee popped and pushed again at the same address with the same
	 * code passes the checks above; its caller has moved on, though, and a
	 * caller's instruction does not move while its callee runs. Before 3.11
	 * frames are heap objects recycled through free lists, and f_lasti is a
	 * bare offset: the walk may have read the caller's address while it
	 * still held a freed frame, so its code is compared too, and so is the
	 * innermost frame's link to it: a finished frame's memory keeps its
	 * code and instruction (a code object's zombie frame, a free list), so
	 * only the link tells that it is no longer the caller. */
	if (check_caller && (caller_code != s->raw_code[th->first + 1] ||
			     instr_unit(l, caller_instr, s->raw_code[th->first + 1]) != s->raw_unit[th->first + 1]))
		return 0;
	for (i = 0, off = 0, n -= regions; i < (size_t)ncodes; i++) {
		struct cpy_code *e = t->chk.codes[i];
		uint32_t r;
		int ok = 1;

		for (r = 0; r < e->nsnap; r++)
			ok &= t->chk.ok[n++];
		if (!ok || memcmp(t->chk.buf + off, e->snap_data, e->snap_len) != 0) {
			e->stale = 1;
			same = 0;
		}
		off += e->snap_len;
	}
	return same;
}

static int resolve_thread(struct cpy_target *t, const struct cpy_sample *s, const struct cpy_thread *th);

/* The walked frames of th as code entries and lines; 0, or 1 if a frame's
 * code object could not be read or its instruction lies past its end. */
static int frames_of(struct cpy_target *t, struct cpy_sample *s, const struct cpy_thread *th)
{
	uint32_t k;

	if (pyro_array_grow((void **)&s->frames, &s->cap_frames, s->nframes, sizeof(*s->frames), SIZE_MAX) < 0)
		return -ENOMEM;
	for (k = th->first; k < th->first + th->depth; k++) {
		const struct cpy_code *e = cpy_code_cache_get(&t->codes, s->raw_code[k]);
		int64_t unit = s->raw_unit[k];

		if (!e || e->stale || unit > (int64_t)e->n_units)
			return 1;
		s->frames[k].code = e;
		s->frames[k].line = cpy_linetable_line(e->lines, e->nlines, unit, e->firstlineno);
	}
	return 0;
}

/* Ask the next samples to guard what this walk read (the thread's frame
 * link, its _PyCFrame's current frame, each frame's header), so that they
 * can read the stack at one moment (walk_thread). Deeper stacks are not
 * guarded: two reads of every frame would cost more than the checks. */
static void guard_walk(struct cpy_target *t, uint64_t ts, uint64_t cframe)
{
	const struct cpy_layout *l = &t->layout;
	uint32_t k;

	if (t->unguarded || t->nwalked > GUARD_DEPTH || l->frame.size > PROC_GUARD_BYTES)
		return;
	proc_mem_guard(&t->mem, ts + l->tstate.frame, 8);
	if (cframe)
		proc_mem_guard(&t->mem, cframe + l->tstate.cframe_current_frame, 8);
	for (k = 0; k < t->nwalked; k++)
		proc_mem_guard(&t->mem, t->walked[k], l->frame.size);
}

/* Walk a thread's stack and decode the code objects it uses.
 *
 * First from the guards alone: the prefetch read the frame link and the
 * frames recent walks went through twice, one copy after the other, before
 * anything else. When every region the walk needs is there and read the same
 * both times, they all held those values at one moment between the copies,
 * a few microseconds wide: the walk is the stack at that moment, and
 * stack_unchanged() then checks only that its code objects are still the
 * ones decoded. Otherwise (a new stack, a deep one, or one that moved while
 * the guards were read) the walk goes through the page cache and is checked
 * to have stayed put since; if it moved, the blocks are copied again
 * (proc_mem_reload) and the thread walked again, from the guards first. After
 * WALK_TRIES attempts the thread is marked torn.
 *
 * A walk that is retried lands in whatever runs next, so the narrower the
 * window a walk must hold still over, the less time short calls lose to the
 * calls that follow them (docs/VERSIONS.md, "Consistent stacks"). */
static int walk_thread(struct cpy_target *t, struct cpy_sample *s, uint64_t ts, struct cpy_thread *th)
{
	size_t first = s->nframes;
	int attempt, rc;

	for (attempt = 0; attempt < WALK_TRIES; attempt++) {
		uint64_t frame = 0, cframe = 0;
		int guarded;

		if (attempt > 0) {
			rc = proc_mem_reload(&t->mem);
			if (rc == 0)
				rc = thread_ids(t, ts, th);
			if (rc < 0) {
				s->nframes = first;
				th->depth = 0;
				return rc == -ESRCH ? rc : (th->torn = 1, 0);
			}
		}
		for (guarded = !t->unguarded; guarded >= 0; guarded--) {
			s->nframes = first;
			th->depth = 0;
			th->first = (uint32_t)first;
			rc = current_frame(t, guarded, ts, &frame, &cframe);
			if (rc == -ESRCH)
				return rc;
			if (rc < 0)
				continue;
			rc = walk_frames(t, guarded, s, frame, &th->depth);
			if (rc < 0)
				return rc;
			if (rc == 0)
				break;
		}
		if (guarded < 0) {
			if (rc < 0) { /* no frame link could be read */
				s->nframes = first;
				th->depth = 0;
				return rc == -ESRCH ? rc : (th->torn = 1, 0);
			}
		} else {
			if ((rc = resolve_thread(t, s, th)) < 0)
				return rc;
			rc = stack_unchanged(t, ts, cframe, frame, th, s, guarded);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				rc = frames_of(t, s, th);
				if (rc < 0)
					return rc;
				if ((th->torn = rc)) {
					s->nframes = first;
					th->depth = 0;
				} else {
					t->guarded_walks += guarded;
					guard_walk(t, ts, cframe);
				}
				return 0;
			}
		}
		t->retries++;
	}
	s->nframes = first;
	th->depth = 0;
	th->torn = 1;
	return 0;
}

static char *utf8_from_kind(const uint8_t *data, size_t len, unsigned kind)
{
	char *out = malloc(len * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		uint32_t c = pyro_unit_at(data, i, kind);

		if (c >= 0x110000)
			*o++ = '?';
		else
			o += pyro_utf8_encode(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c, o); /* lone surrogate */
	}
	*o = '\0';
	return out;
}

/* Whether a non-ASCII compact string's data could be what CPython stores:
 * no NUL (names and file names never hold one) and, when the whole string
 * was read, a code point that needs this kind (CPython always uses the
 * narrowest). Memory being freed or reused fails this; garbage must not
 * become a name. */
static int plausible_wide(const uint8_t *data, size_t len, unsigned kind, int whole)
{
	uint32_t max = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		uint32_t c = pyro_unit_at(data, i, kind);

		if (c == 0 || c > 0x10ffff)
			return 0;
		if (c > max)
			max = c;
	}
	return !whole || max >= (kind == 1 ? 0x80u : kind == 2 ? 0x100u : 0x10000u);
}

/* A read through the page cache whose bytes join e's snapshot
 * (code_objects.h). *cap is the capacity of e->snap_data. */
static int snap_read(struct cpy_target *t, struct cpy_code *e, size_t *cap, uint64_t addr, void *dst, size_t len)
{
	struct cpy_snap_range *last = e->nsnap ? &e->snap[e->nsnap - 1] : NULL;
	int rc = proc_read(&t->mem, addr, dst, len);

	if (rc < 0 || len == 0)
		return rc;
	if (e->snap_len + len > UINT32_MAX)
		return -EINVAL;
	if (pyro_array_grow((void **)&e->snap_data, cap, e->snap_len + len, 1, SIZE_MAX) < 0)
		return -ENOMEM;
	memcpy(e->snap_data + e->snap_len, dst, len);
	e->snap_len += (uint32_t)len;
	if (last && last->addr + last->len == addr) {
		last->len += (uint32_t)len;
	} else {
		if (e->nsnap == CPY_SNAP_RANGES)
			return -EINVAL;
		e->snap[e->nsnap].addr = addr;
		e->snap[e->nsnap].len = (uint32_t)len;
		e->nsnap++;
	}
	return 0;
}

/* Read a str object as a new UTF-8 string (at most CPY_NAME_MAX code
 * points); its length and characters join e's snapshot. The state word does
 * not: interning changes it, and the characters and length tell strings
 * apart. */
static int read_str(struct cpy_target *t, struct cpy_code *e, size_t *cap, uint64_t addr, char **out)
{
	const struct cpy_layout *l = &t->layout;
	uint8_t data[CPY_NAME_MAX * 4];
	uint32_t state;
	int64_t length;
	unsigned kind;
	int rc, whole;

	*out = NULL;
	if (!addr || (addr & 7))
		return -EINVAL;
	if ((rc = proc_read(&t->mem, addr + l->unicode.state, &state, 4)) < 0 ||
	    (rc = snap_read(t, e, cap, addr + l->unicode.length, &length, 8)) < 0)
		return rc;
	kind = (state >> 2) & 7;
	if (!((state >> 5) & 1) || (kind != 1 && kind != 2 && kind != 4) || length < 0)
		return -EINVAL;
	whole = length <= CPY_NAME_MAX;
	if (length > CPY_NAME_MAX)
		length = CPY_NAME_MAX;
	if (length == 0)
		return -EINVAL; /* names and file names are never empty */
	if ((state >> 6) & 1) {
		int64_t i;

		if ((rc = snap_read(t, e, cap, addr + l->unicode.ascii_size, data, (size_t)length)) < 0)
			return rc;
		for (i = 0; i < length; i++)
			if (data[i] == 0 || data[i] >= 0x80)
				return -EINVAL; /* not the ASCII string it claims to be */
		*out = malloc((size_t)length + 1);
		if (!*out)
			return -ENOMEM;
		memcpy(*out, data, (size_t)length);
		(*out)[length] = '\0';
	} else {
		if ((rc = snap_read(t, e, cap, addr + l->unicode.compact_size, data, (size_t)length * kind)) < 0)
			return rc;
		if (!plausible_wide(data, (size_t)length, kind, whole))
			return -EINVAL;
		*out = utf8_from_kind(data, (size_t)length, kind);
		if (!*out)
			return -ENOMEM;
	}
	return 0;
}

/* Decode the code object at addr into a new entry, keeping a snapshot of
 * every byte read for the checks of later samples. */
static int decode_code(struct cpy_target *t, uint64_t addr, struct cpy_code **out)
{
	const struct cpy_layout *l = &t->layout;
	const struct cpy_code_cache *c = &t->codes;
	struct cpy_code *e;
	uint8_t fp[CPY_FINGERPRINT_MAX];
	uint64_t type, qualname, filename, linetable;
	int64_t units, tlen;
	uint8_t *tab = NULL;
	size_t cap = 0;
	int32_t first;
	int rc;

	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->addr = addr;
	if ((rc = snap_read(t, e, &cap, addr + c->fp_off, fp, c->fp_len)) < 0 ||
	    (rc = snap_read(t, e, &cap, addr + l->object.ob_type, &type, 8)) < 0 ||
	    (rc = snap_read(t, e, &cap, addr + l->code.firstlineno, &first, 4)) < 0)
		goto fail;
	if (t->code_type_addr && type != t->code_type_addr) {
		rc = -EINVAL;
		goto fail;
	}
	/* Before 3.11 code objects carry no qualified name: the plain name
	 * stands in (docs/CLI.md, "Function names before 3.11"). */
	memcpy(&qualname, fp + (l->code.qualname != CPY_FIELD_NONE ? l->code.qualname : l->code.name) - c->fp_off, 8);
	memcpy(&filename, fp + l->code.filename - c->fp_off, 8);
	memcpy(&linetable, fp + l->code.linetable - c->fp_off, 8);
	if (l->code.code_bytes == CPY_FIELD_NONE) {
		/* 3.11+: the code object is variable-sized, ob_size in code units. */
		if ((rc = snap_read(t, e, &cap, addr + l->object.ob_size, &units, 8)) < 0)
			goto fail;
	} else {
		uint64_t code_bytes;

		/* Before 3.11: co_code is a bytes object. */
		if ((rc = snap_read(t, e, &cap, addr + l->code.code_bytes, &code_bytes, 8)) < 0)
			goto fail;
		if (!code_bytes || (code_bytes & 7)) {
			rc = -EINVAL;
			goto fail;
		}
		if ((rc = snap_read(t, e, &cap, code_bytes + l->bytes.ob_size, &units, 8)) < 0)
			goto fail;
		units /= 2;
	}
	if (units < 0 || units > (1 << 26)) {
		rc = -EINVAL;
		goto fail;
	}
	e->firstlineno = first;
	e->n_units = (uint32_t)units;
	if ((rc = read_str(t, e, &cap, qualname, &e->qualname)) < 0 ||
	    (rc = read_str(t, e, &cap, filename, &e->filename)) < 0 ||
	    (rc = snap_read(t, e, &cap, linetable + l->bytes.ob_size, &tlen, 8)) < 0)
		goto fail;
	if (tlen < 0 || tlen > CPY_LINETABLE_MAX_BYTES) {
		rc = -EINVAL;
		goto fail;
	}
	tab = malloc((size_t)tlen + 1);
	if (!tab) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = snap_read(t, e, &cap, linetable + l->bytes.ob_sval, tab, (size_t)tlen)) < 0)
		goto fail;
	switch (l->code.linetable_kind) {
	case CPY_LINETABLE_LNOTAB:
		rc = cpy_lnotab_decode(tab, (size_t)tlen, first, &e->lines, &e->nlines);
		break;
	case CPY_LINETABLE_310:
		rc = cpy_linetable310_decode(tab, (size_t)tlen, first, &e->lines, &e->nlines);
		break;
	default:
		rc = cpy_linetable_decode(tab, (size_t)tlen, first, &e->lines, &e->nlines);
		break;
	}
	if (rc < 0)
		goto fail;
	free(tab);
	*out = e;
	return 0;
fail:
	free(tab);
	cpy_code_free(e);
	return rc;
}

/* Decode the code objects of th's frames that the cache lacks or holds
 * stale. Frames whose code object cannot be read or trusted keep no entry
 * (frames_of then marks the thread torn). */
static int resolve_thread(struct cpy_target *t, const struct cpy_sample *s, const struct cpy_thread *th)
{
	uint64_t last_failed = 0;
	uint32_t k, fails = 0;

	for (k = th->first; k < th->first + th->depth; k++) {
		uint64_t a = s->raw_code[k];
		struct cpy_code *e = cpy_code_cache_get(&t->codes, a);
		int rc;

		if ((e && !e->stale) || a == last_failed)
			continue;
		rc = decode_code(t, a, &e);
		if (rc == -ESRCH || rc == -ENOMEM)
			return rc;
		if (rc < 0) {
			last_failed = a;
			if (++fails == DECODE_FAILS)
				return 0;
			continue;
		}
		if (cpy_code_cache_put(&t->codes, e) < 0) {
			cpy_code_free(e);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Whether an interpreter's garbage collector is running (0 when unknown). */
static int collecting(struct cpy_target *t, uint64_t interp)
{
	const struct cpy_layout *l = &t->layout;
	uint64_t at;
	int32_t v = 0;

	switch (l->gc.kind) {
	case CPY_GC_SYMBOL:
		at = t->gc36;
		break;
	case CPY_GC_RUNTIME:
		at = t->runtime_addr + l->gc.collecting;
		break;
	case CPY_GC_INTERP:
		at = interp + l->gc.collecting;
		break;
	default:
		return 0;
	}
	return at && proc_read(&t->mem, at, &v, 4) == 0 && v != 0;
}

/* The thread state holding an interpreter's GIL (0 if none is) and where
 * its waiters sleep; *holder = -1 if the version keeps it out of reach. */
static void gil_of(struct cpy_target *t, uint64_t interp, int64_t *holder, uint64_t *lo, uint64_t *hi)
{
	const struct cpy_layout *l = &t->layout;
	uint64_t g = 0, who = 0;
	int32_t locked = 0;

	*holder = -1;
	*lo = *hi = 0;
	switch (l->gil.kind) {
	case CPY_GIL_SYMBOLS:
		if (!t->gil36.locked || proc_read(&t->mem, t->gil36.locked, &locked, 4) < 0 ||
		    proc_read(&t->mem, t->gil36.holder, &who, 8) < 0)
			return;
		*lo = t->gil36.wait_lo;
		*hi = t->gil36.wait_hi;
		break;
	case CPY_GIL_RUNTIME:
		g = t->runtime_addr + l->gil.at;
		break;
	case CPY_GIL_INTERP:
		if (rd_u64(t, interp + l->gil.at, &g) < 0 || !g || (g & 7))
			return;
		break;
	default:
		return;
	}
	if (g) {
		if (proc_read(&t->mem, g + l->gil.locked, &locked, 4) < 0 || rd_u64(t, g + l->gil.holder, &who) < 0)
			return;
		*lo = g;
		*hi = g + l->gil.size;
	}
	/* last_holder stays set after a release: only a locked GIL has one. */
	*holder = locked > 0 ? (int64_t)who : 0;
}

int cpy_gil_readable(const struct cpy_target *t)
{
	switch (t->layout.gil.kind) {
	case CPY_GIL_SYMBOLS:
		return t->gil36.locked != 0;
	case CPY_GIL_RUNTIME:
	case CPY_GIL_INTERP:
		return 1;
	default:
		return 0;
	}
}

int cpy_sample(struct cpy_target *t, struct cpy_sample *s)
{
	const struct cpy_layout *l = &t->layout;
	uint64_t interp;
	size_t ni = 0, ti;
	int rc;

	if (++t->sample_gen == 0)
		t->sample_gen = 1;
	cpy_code_cache_sweep(&t->codes);
	proc_mem_invalidate(&t->mem);
	rc = proc_mem_prefetch(&t->mem);
	if (rc == -ESRCH)
		return rc;
	s->nthreads = 0;
	s->nframes = 0;
	rc = rd_u64(t, t->runtime_addr + l->runtime.interpreters_head, &interp);
	if (rc < 0)
		return rc == -ESRCH ? rc : proc_mem_describe(&t->mem, rc, t->runtime_addr, 8);
	for (; interp && ni < CPY_MAX_INTERPRETERS; ni++) {
		uint64_t ts, next_interp, gil_lo, gil_hi;
		int64_t interp_id = -1, holder;
		size_t nt = 0;
		int in_gc;
		size_t first_thread;

		if ((interp & 7) || (rc = rd_u64(t, interp + l->interp.threads_head, &ts)) < 0 ||
		    (rc = rd_u64(t, interp + l->interp.next, &next_interp)) < 0 ||
		    (l->interp.id != CPY_FIELD_NONE && (rc = rd_u64(t, interp + l->interp.id, (uint64_t *)&interp_id)) < 0))
			return rc == -ESRCH ? rc : pyro_err_set(EFAULT, "cannot read interpreter state at 0x%llx",
								(unsigned long long)interp);
		gil_of(t, interp, &holder, &gil_lo, &gil_hi);
		/* The collector runs in the thread holding the GIL; before 3.7
		 * a program that never started a thread has no GIL: then its
		 * one thread (below). */
		in_gc = collecting(t, interp);
		first_thread = s->nthreads;
		for (; ts && nt < CPY_MAX_THREADS; nt++) {
			struct cpy_thread *th;
			uint64_t next = 0;
			uint32_t first = (uint32_t)s->nframes;

			if (pyro_array_grow((void **)&s->threads, &s->cap_threads, s->nthreads + 1, sizeof(*s->threads), SIZE_MAX) < 0)
				return -ENOMEM;
			th = &s->threads[s->nthreads];
			memset(th, 0, sizeof(*th));
			th->tstate = ts;
			th->gil = holder < 0 ? -1 : (uint64_t)holder == ts;
			th->in_gc = in_gc && holder > 0 && th->gil == 1;
			th->gil_lo = gil_lo;
			th->gil_hi = gil_hi;
			/* 3.6 numbers no interpreters: the position, fixed up below. */
			th->interp_id = l->interp.id != CPY_FIELD_NONE ? interp_id : (int64_t)ni;
			if ((ts & 7) || (rc = rd_u64(t, ts + l->tstate.next, &next)) < 0 ||
			    (rc = thread_ids(t, ts, th)) < 0) {
				if (rc == -ESRCH)
					return rc;
				break; /* the thread list changed under us */
			}
			rc = walk_thread(t, s, ts, th);
			if (rc < 0)
				return rc;
			th->first = first;
			s->nthreads++;
			ts = next;
		}
		if (in_gc && holder <= 0 && s->nthreads == first_thread + 1)
			s->threads[first_thread].in_gc = 1;
		interp = next_interp;
	}
	/* 3.6: interpreters are prepended as they are created, so the main one
	 * (id 0) is the last in the list; number the others from there. */
	if (l->interp.id == CPY_FIELD_NONE)
		for (ti = 0; ti < s->nthreads; ti++)
			s->threads[ti].interp_id = (int64_t)ni - 1 - s->threads[ti].interp_id;
	cpy_resolve_native_tids(t, s);
	return 0;
}

void cpy_sample_release(struct cpy_sample *s)
{
	free(s->threads);
	free(s->frames);
	free(s->raw_code);
	free(s->raw_unit);
	memset(s, 0, sizeof(*s));
}
