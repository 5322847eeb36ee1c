"""Entry point of `python -m runmod [SECONDS]` (default 2), run from tests/targets.

runpy runs this file: `_run_module_as_main` calls `_run_code`, which executes this
module body, which calls `work.main` (line `# ENTRY`), which calls `work.spin`. So while
spinning the main thread's stack is exactly:

    _run_module_as_main, _run_code, <module> @ENTRY (this file), main, spin (work.py)

The last stdout line is JSON with the pid and both files as Python sees them.

Runs on CPython 3.6 and later.
"""
import json
import os
import sys

from runmod import work

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
work.main(seconds)  # ENTRY
print(json.dumps({
    "target": "runmod",
    "pid": os.getpid(),
    "main_file": os.path.abspath(__file__),
    "work_file": os.path.abspath(work.__file__),
}), flush=True)
