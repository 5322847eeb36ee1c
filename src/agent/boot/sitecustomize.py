# pyrometer's bootstrap: `pyrometer record --memory` puts this directory
# first on PYTHONPATH so that the interpreter imports it at startup. It
# starts the memory agent, then puts back what the program would have seen:
# sys.path and the environment (PYTHONPATH, LD_PRELOAD) as they were, and
# any sitecustomize this one hides, imported in its place.
import os
import sys


def _pyrometer_boot():
    here = os.path.dirname(os.path.abspath(__file__))
    env = os.environ
    out = env.pop("PYROMETER_AGENT_OUT", None)
    opts = env.pop("PYROMETER_AGENT_OPTS", "")
    for var in ("PYTHONPATH", "LD_PRELOAD"):
        saved = env.pop("PYROMETER_AGENT_SAVED_" + var, None)
        if saved is None:
            continue
        if saved.startswith("="):
            env[var] = saved[1:]
        else:
            env.pop(var, None)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    root = os.path.dirname(here)
    sys.path.insert(0, root)
    try:
        from pyrometer import _agent
    except ImportError as e:
        sys.stderr.write("pyrometer: memory agent disabled: cannot load it (%s); the program runs untracked\n" % e)
        return
    finally:
        sys.path.remove(root)
    kw = {}
    for item in opts.split(","):
        key, _, value = item.partition("=")
        if key in ("sample_bytes", "seed"):
            kw[key] = int(value)
        elif key in ("exact", "native"):
            kw[key] = value == "1"
        elif key == "churn_ms":
            kw[key] = float(value)
    try:
        _agent.start(path=out, **kw)
    except Exception as e:  # the program must run whatever happens here
        sys.stderr.write("pyrometer: memory agent disabled: %s; the program runs untracked\n" % e)
        return
    import atexit
    atexit.register(_agent.stop, ended=True)


_pyrometer_boot()
del _pyrometer_boot
# The sitecustomize this one hides, if any, runs as it would have (and
# takes this one's place in sys.modules; without one, this one stays).
_self = sys.modules.pop("sitecustomize", None)
try:
    import sitecustomize  # noqa: F401
except ImportError as e:
    if getattr(e, "name", None) != "sitecustomize":
        raise
    if _self is not None:
        sys.modules["sitecustomize"] = _self
