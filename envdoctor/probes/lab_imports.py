"""Deep-check probe: import one framework module in the TARGET interpreter and look up the
symbols a lab imports from it. Run once per module, in its own child process, by
envdoctor.deep; its side effects (mindnlp sets HF_ENDPOINT, MindSpore edits
LD_LIBRARY_PATH) stay in this child.

Usage: python lab_imports.py '{"module": "mindnlp", "symbols": ["mindnlp.transforms.X"]}'
Prints the result as JSON on the last line, after the marker below: imports print freely.
Stdlib only (the modules under test are imported by name, at run time).

Lab mode (``check --deep --lab``): ``{"statements": ["import mindspore", "from m import x"]}``
runs exactly the lab's own import statements, in order, in this one process, as the notebook
would; each gets ok or its exception. Before each one a step line goes to stderr, so that a
crash or a hang is pinned on the statement that caused it.
"""

import faulthandler
import importlib
import json
import os
import sys
import time
import traceback

MARKER = "@@ENVDOCTOR-RESULT@@"
STEP = "@@ENVDOCTOR-STEP@@"


def describe(exc):
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:2000],
        "frames": ["%s:%d in %s: %s" % (f.filename, f.lineno, f.name, (f.line or "").strip())
                   for f in frames],
        "text": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:],
    }


def lookup(symbol):
    """Do what `from M import X` does for 'M.X': the attribute, else the submodule."""
    module_name, _, name = symbol.rpartition(".")
    if not module_name:
        importlib.import_module(symbol)
        return
    module = importlib.import_module(module_name)
    if hasattr(module, name):
        return
    try:
        importlib.import_module(symbol)
    except ImportError:
        where = getattr(module, "__file__", None) or "unknown location"
        raise ImportError("cannot import name %r from %r (%s)" % (name, module_name, where))


def run_statements(statements):
    """Each statement in one shared namespace, like the cells of a notebook."""
    namespace = {"__name__": "__main__"}
    results = []
    for number, code in enumerate(statements):
        sys.stderr.write("\n%s %d\n" % (STEP, number))
        sys.stderr.flush()
        started = time.time()
        try:
            exec(compile(code, "<lab statement %d>" % number, "exec"), namespace)
            outcome = {"ok": True}
        except BaseException as exc:  # SystemExit from a broken import is a failure too
            outcome = {"ok": False, "error": describe(exc)}
        outcome["seconds"] = round(time.time() - started, 3)
        results.append(outcome)
    return results


def main():
    faulthandler.enable()  # a segfault in native code leaves its stack on stderr
    spec = json.loads(sys.argv[1])
    if "statements" in spec:
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
        sys.path.insert(0, os.getcwd())  # the lab's own modules, as in its kernel
        result = {"statements": run_statements(spec["statements"])}
        sys.stdout.flush()
        sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    env_before = dict(os.environ)
    result = {"module": spec["module"], "ok": False, "error": None, "symbols": {}}
    started = time.time()
    try:
        importlib.import_module(spec["module"])
        result["ok"] = True
    except BaseException as exc:  # SystemExit from a broken import is a failure too
        result["error"] = describe(exc)
    result["seconds"] = round(time.time() - started, 3)
    for symbol in spec.get("symbols", []):
        try:
            lookup(symbol)
            result["symbols"][symbol] = {"ok": True}
        except BaseException as exc:
            result["symbols"][symbol] = {"ok": False, "error": describe(exc)}
    changed = {}
    for key in set(env_before) | set(os.environ):
        if env_before.get(key) != os.environ.get(key):
            changed[key] = {"before": env_before.get(key), "after": os.environ.get(key)}
    result["environment_changes"] = changed
    sys.stdout.flush()
    sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    # Some frameworks hang in their atexit handlers or thread teardown: the answer is out,
    # so leave without running them.
    os._exit(0)


if __name__ == "__main__":
    main()
