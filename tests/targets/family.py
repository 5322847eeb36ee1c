"""A parent whose children run Python: for record --subprocesses.

Usage: python family.py KIND [SECONDS]        (default 1.0)

KIND is one of
  pool-fork    multiprocessing.Pool(2), fork start method: 4 tasks run `pool_task`
  pool-spawn   the same with the spawn start method (fresh interpreters)
  fork         os.fork(): the child runs `forked_work`, the parent `parent_work`
  subprocess   subprocess.run([sys.executable, this file, "child"]): the child runs
               `subprocess_work`; before it, a child that is not Python (sleep 0.3)
  child        (used by subprocess) run `subprocess_work`, print its pid

Each working child burns CPU for about SECONDS in its function. The last stdout line is
JSON: {"parent": pid, "children": {function name: [pids]}} so tests can match every
child's hot function with its pid ("not_python": the sleep's pid).
"""
import json
import os
import subprocess
import sys

from forks import burn  # this file's folder is sys.path[0]


def pool_task(seconds):
    burn(seconds)
    return os.getpid()


def forked_work(seconds):
    burn(seconds)


def parent_work(seconds):
    burn(seconds)


def subprocess_work(seconds):
    burn(seconds)


def pool(method, seconds):
    import multiprocessing
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2) as p:
        pids = p.map(pool_task, [seconds / 2] * 4, chunksize=1)
    return {"pool_task": sorted(set(pids))}


def fork(seconds):
    pid = os.fork()
    if pid == 0:
        forked_work(seconds)
        os._exit(0)
    parent_work(seconds / 2)
    os.waitpid(pid, 0)
    return {"forked_work": [pid]}


def run_child(seconds):
    sleeper = subprocess.Popen(["sleep", "0.3"])
    sleeper.wait()
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "child", str(seconds)],
                         check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    return {"subprocess_work": [int(out.split()[-1])], "not_python": [sleeper.pid]}


def main():
    kind = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    if kind == "child":
        subprocess_work(seconds)
        print(os.getpid())
        return
    children = {
        "pool-fork": lambda: pool("fork", seconds),
        "pool-spawn": lambda: pool("spawn", seconds),
        "fork": lambda: fork(seconds),
        "subprocess": lambda: run_child(seconds),
    }[kind]()
    print(json.dumps({"parent": os.getpid(), "children": children}))


if __name__ == "__main__":
    main()
