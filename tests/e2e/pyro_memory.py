"""A reader for the memory part of a .pyro file (docs/FORMAT.md, format 1.3), written
from the format's text (not from the C reader), so the tests check the file itself.

    m = MemoryProfile(path)
    m.peak_bytes, m.flags, m.sites  (stack -> dict), m.points, m.history
    m.frames_of(stack)              [(name, file, first_line, line), ...] leaf first
"""

MEM_EXACT, MEM_NATIVE, MEM_ENDED, MEM_DISABLED = 1, 2, 4, 8
MAGIC = b"\x89PYRO\r\n\x1a"


class Cursor:
    def __init__(self, data, pos=0, end=None):
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def left(self):
        return self.end - self.pos

    def uvarint(self):
        shift = value = 0
        while True:
            if self.pos >= self.end:
                raise ValueError("varint runs past the chunk at byte %d" % self.pos)
            b = self.data[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def svarint(self):
        n = self.uvarint()
        return (n >> 1) ^ -(n & 1)

    def lstring(self):
        n = self.uvarint()
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s


class MemoryProfile:
    def __init__(self, path):
        data = open(str(path), "rb").read()
        assert data[:8] == MAGIC, "%s is not a .pyro file" % path
        self.minor = data[9]
        self.strings, self.frames, self.stacks = [], [], []
        self.present = False
        self.flags = self.sample_bytes = self.churn_ns = self.offset_ns = 0
        self.peak_bytes = self.peak_time_ns = self.time_ns = 0
        self.message = ""
        self.sites = {}      # stack id (None: no Python frame) -> dict
        self.history = []    # (time_ns, stack, live_bytes)
        self.points = []     # (time_ns, live_bytes, rss_bytes)
        self.nsamples = 0
        c = Cursor(data, 12)
        clock = 0
        while c.left() > 0:
            ctype, clen = c.uvarint(), c.uvarint()
            if clen > c.left():
                break  # cut short: what came before stands
            ch = Cursor(data, c.pos, c.pos + clen)
            c.pos += clen
            if ctype == 2:
                ch.uvarint()
                for _ in range(ch.uvarint()):
                    self.strings.append(ch.lstring())
            elif ctype == 3:
                ch.uvarint()
                for _ in range(ch.uvarint()):
                    name, file = ch.uvarint(), ch.uvarint()
                    first, line, kind = ch.svarint(), ch.svarint(), ch.uvarint()
                    self.frames.append((self.strings[name], self.strings[file], first, line))
            elif ctype == 4:
                ch.uvarint()
                for _ in range(ch.uvarint()):
                    parent, frame = ch.uvarint(), ch.uvarint()
                    self.stacks.append((parent - 1 if parent else None, frame))
            elif ctype == 6:
                self.nsamples += ch.uvarint()
            elif ctype == 10:
                self.present = True
                (self.flags, self.sample_bytes, self.churn_ns, self.offset_ns, self.peak_bytes,
                 self.peak_time_ns, self.time_ns) = [ch.uvarint() for _ in range(7)]
                self.message = ch.lstring()
            elif ctype == 11:
                t = ch.uvarint()
                for _ in range(ch.uvarint()):
                    stack = ch.uvarint()
                    vals = [ch.uvarint() for _ in range(6)]
                    key = stack - 1 if stack else None
                    self.sites[key] = dict(zip(("allocs", "allocated", "freed", "temporary", "live",
                                                "at_peak"), vals))
                    self.history.append((t, key, vals[4]))
            elif ctype == 12:
                for _ in range(ch.uvarint()):
                    clock += ch.uvarint()
                    self.points.append((clock, ch.uvarint(), ch.uvarint()))

    def frames_of(self, stack):
        """The stack's frames, leaf first."""
        out = []
        while stack is not None:
            parent, frame = self.stacks[stack]
            out.append(self.frames[frame])
            stack = parent
        return out

    def by_leaf_line(self, measure, path_suffix):
        """{line: bytes} of the given measure for sites whose leaf frame is in a file
        ending with path_suffix."""
        out = {}
        for stack, site in self.sites.items():
            frames = self.frames_of(stack)
            if frames and frames[0][1].endswith(path_suffix):
                out[frames[0][3]] = out.get(frames[0][3], 0) + site[measure]
        return out

    def total(self, measure):
        return sum(s[measure] for s in self.sites.values())
