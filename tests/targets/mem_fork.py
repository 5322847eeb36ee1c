"""Forks: the child allocates and exits with 5; the parent allocates, waits and exits 0."""
import os
import sys


def allocate():
    return [bytearray(1 << 20) for _ in range(20)]  # ALLOC


def main():
    kept = allocate()
    pid = os.fork()
    if pid == 0:
        more = allocate()
        print("child", len(more) + len(kept))
        sys.stdout.flush()
        os._exit(5)
    _, status = os.waitpid(pid, 0)
    more = allocate()
    print("parent", len(more), os.WEXITSTATUS(status))


main()
