"""8 threads allocate and free concurrently for SECONDS (argv[1], default 5)."""
import sys
import threading
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0


def work(results, i):
    end = time.monotonic() + SECONDS
    n = 0
    while time.monotonic() < end:
        junk = [bytes(100 + j % 5000) for j in range(200)]  # THREAD
        n += len(junk)
    results[i] = n


def main():
    results = [0] * 8
    threads = [threading.Thread(target=work, args=(results, i)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("allocated", sum(results))


main()
