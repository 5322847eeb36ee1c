"""Memory that only malloc sees: a NumPy array's data, allocated outside Python's allocators.

Usage: python native_alloc.py [array | threads [SECONDS]]     (default: array)

`array`: `big` allocates a 400,000,000-byte array (numpy.ones(50_000_000) of float64) on
the line marked BIG, holds it for a moment, frees it, and returns. NumPy takes an array's
data from malloc, not from PyMem, so `record --memory` sees it only with =native.

`threads`: four threads allocate and free NumPy arrays of assorted sizes, sort them and
compress bytes (both release the GIL, so malloc and free run on several threads at once)
for SECONDS (default 1): with the interposer's sink set, this must neither deadlock nor
crash.

The last stdout line is JSON: the array's size in bytes, or the threads' work counts.
Needs NumPy; runs on CPython 3.6 and later.
"""
import json
import sys
import threading
import time
import zlib

import numpy

ARRAY_ITEMS = 50_000_000
THREADS = 4


def big():
    a = numpy.ones(ARRAY_ITEMS)  # BIG
    time.sleep(0.3)  # held: the peak
    nbytes = a.nbytes
    del a
    time.sleep(0.1)
    return nbytes


def worker(deadline, counts, index):
    done = 0
    data = bytes(range(256)) * 4096
    while time.monotonic() < deadline:
        held = [numpy.ones(n) for n in (16, 1000, 50_000, 200_000)]
        held.append(numpy.sort(numpy.arange(100_000)[::-1], kind="stable"))
        held.append(zlib.compress(data, 1))
        held.append(numpy.empty(3_000_000, dtype=numpy.uint8))
        del held
        done += 1
    counts[index] = done


def threads(seconds):
    deadline = time.monotonic() + seconds
    counts = [0] * THREADS
    workers = [threading.Thread(target=worker, args=(deadline, counts, i)) for i in range(THREADS)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return counts


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "array"
    if what == "array":
        print(json.dumps({"array_bytes": big()}))
    elif what == "threads":
        seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
        print(json.dumps({"rounds": threads(seconds)}))
    else:
        sys.exit("native_alloc.py: unknown mode %r (array or threads)" % what)


if __name__ == "__main__":
    main()
