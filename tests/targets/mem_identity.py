"""Prints what a program can see of how it was started; exits with status 7."""
import os
import sys

print("argv", sys.argv)
print("name", __name__)
print("path0", os.path.basename(sys.path[0]) if sys.path[0] else "")
print("pythonpath", os.environ.get("PYTHONPATH"))
print("env", sorted(k for k in os.environ if k.startswith("PYROMETER")))
print("site", [p for p in sys.path if "agent" in p])
sys.stdout.flush()
sys.stderr.write("to stderr\n")
sys.exit(7)
