"""python -m pyrometer run [options] script.py [args...] | -m module [args...]

Run a program with pyrometer's memory agent and write what it allocated
to a .pyro file (`pyrometer report FILE` shows it). The program sees its
own sys.argv, __main__ and exit code.
"""
import os
import runpy
import sys

USAGE = """usage: python -m pyrometer run [options] script.py [args...]
       python -m pyrometer run [options] -m module [args...]

Record a program's allocations (peak, leaks, churn, by stack and line) to a .pyro file.

options:
  -o, --output FILE     where to write (default: pyrometer-memory.pyro)
  --exact               record every allocation instead of sampling
  --sample-bytes N      mean bytes between sampled allocations (default: %d)
  -h, --help            this help
"""


def fail(msg):
    sys.stderr.write("pyrometer: %s\n" % msg)
    sys.exit(2)


def run(args):
    from . import _agent, format_size

    out, exact, sample = "pyrometer-memory.pyro", False, 0
    while args and args[0].startswith("-") and args[0] != "-m":
        a = args.pop(0)
        if a in ("-h", "--help"):
            sys.stdout.write(USAGE % _agent.DEFAULT_SAMPLE_BYTES)
            sys.exit(0)
        elif a in ("-o", "--output") and args:
            out = args.pop(0)
        elif a == "--exact":
            exact = True
        elif a == "--sample-bytes" and args:
            try:
                sample = int(args.pop(0))
            except ValueError:
                fail("--sample-bytes takes a whole number of bytes")
            if sample <= 0:
                fail("--sample-bytes takes a positive number of bytes")
        elif a == "--":
            break
        else:
            fail("unknown option %s (see python -m pyrometer run --help)" % a)
    if not args:
        fail("run: no program given (see python -m pyrometer run --help)")
    module = None
    if args[0] == "-m":
        if len(args) < 2:
            fail("run: -m needs a module name")
        module = args[1]
        sys.argv = [args[1]] + args[2:]
    else:
        sys.argv = args[:]
        if not os.path.exists(args[0]):
            fail("run: cannot open %s: no such file" % args[0])
        sys.path.insert(0, os.path.dirname(os.path.abspath(args[0])))
    _agent.start(path=out, sample_bytes=sample, exact=exact, argv=list(sys.argv))
    code = 0
    try:
        if module:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(args[0], run_name="__main__")
    except SystemExit as e:
        code = e.code
    finally:
        stats = _agent.stats()
        _agent.stop(ended=True)
        sys.stderr.write("pyrometer: memory profile in %s: peak %s, %s still held at exit; "
                         "pyrometer report %s shows where\n"
                         % (out, format_size(stats["peak"]), format_size(stats["live"]), out))
    sys.exit(code)


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(__doc__.strip() + "\n")
        sys.exit(0 if args else 2)
    if args[0] != "run":
        fail("unknown command %r; the one command is: run (python -m pyrometer run --help)" % args[0])
    run(args[1:])


if __name__ == "__main__":
    main()
