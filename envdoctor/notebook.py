"""envdoctor in Jupyter: ``envdoctor.prelab("gpt-imdb")`` and the ``%envdoctor`` line magic.

The kernel never imports the lab's frameworks: the kernel's interpreter (``sys.executable``,
or ``python=``) is probed in a child process like ``envdoctor check`` does. The result is
data (:class:`PrelabResult`) that renders as HTML through IPython's display protocol and as
plain text anywhere else. Nothing here prompts or waits for input; IPython is not imported.
"""

import argparse
import os
import shlex
import sys
from typing import Any, Dict, List, Optional, Sequence

from envdoctor.api import apply_fix, diagnose, plan_fix
from envdoctor.errors import EXIT_ERROR, EnvdoctorError, UsageError
from envdoctor.pip_runner import PipError
from envdoctor.progress import Progress
from envdoctor.render.html import notebook_fix_lines, render_error_html, render_html
from envdoctor.render.text import plain, render_report_lines
from envdoctor.subproc import kill_process_group, start_stream

__all__ = ["PrelabResult", "prelab", "load_ipython_extension", "envdoctor_magic"]

RESTART_KERNEL = "Restart the kernel (Kernel > Restart) so the notebook imports the new versions."


def _same_environment(prefix: Optional[str]) -> bool:
    """The probed interpreter belongs to this kernel's environment (same sys.prefix; a venv's
    python is a symlink to its base, so the executables' real paths cannot tell)."""
    if not prefix:
        return False

    def norm(path: str) -> str:
        return os.path.normcase(os.path.normpath(os.path.abspath(path)))

    return norm(prefix) == norm(sys.prefix)


class PrelabResult:
    """What ``prelab`` found (and did): a report, or why envdoctor could not run."""

    def __init__(self, report: Any = None, error: Optional[str] = None, in_kernel: bool = True,
                 fix_call: Optional[str] = None, outcome: Optional[Dict[str, Any]] = None,
                 verbose: bool = False) -> None:
        self.report = report
        self.error = error
        self.in_kernel = in_kernel
        self.fix_call = fix_call
        self.outcome = outcome
        self.verbose = verbose

    # -- the data --------------------------------------------------------------------------
    @property
    def exit_code(self) -> int:
        return EXIT_ERROR if self.report is None else self.report.exit_code

    @property
    def ok(self) -> bool:
        """The environment is ready (no errors; with ``strict=True``, no warnings either)."""
        return self.exit_code == 0

    @property
    def verdict(self) -> str:
        if self.report is None:
            return "envdoctor could not run"
        return "ready" if self.ok else "not ready"

    @property
    def fix_lines(self) -> List[str]:
        """The fix as notebook lines (``%pip install ...``); [] when there is nothing to do."""
        if self.report is None:
            return []
        return notebook_fix_lines(self.report, self.in_kernel)

    @property
    def restart_needed(self) -> bool:
        return bool(self.outcome and self.outcome.get("ok") and self.outcome.get("restart"))

    def to_dict(self) -> Dict[str, Any]:
        return {"verdict": self.verdict, "ok": self.ok, "exit_code": self.exit_code,
                "error": self.error, "in_kernel": self.in_kernel, "fix_lines": self.fix_lines,
                "fix_call": self.fix_call, "outcome": self.outcome,
                "check": self.report.to_dict(include_snapshot=False) if self.report else None}

    # -- rendering -------------------------------------------------------------------------
    def text(self) -> str:
        if self.report is None:
            return "envdoctor could not check this environment: %s\n" % self.error
        out: List[str] = []
        if self.outcome:
            out.append("%s %s" % (self.outcome.get("headline", ""),
                                  self.outcome.get("message", "")))
            out.extend("  " + a for a in self.outcome.get("actions") or [])
            if self.outcome.get("restart"):
                out.append(self.outcome["restart"])
            out.append("")
        body = plain(render_report_lines(self.report, verbose=self.verbose))
        lines = self.fix_lines
        if lines and not (self.outcome and self.outcome.get("ok")):
            head = ("Fix: run this in a cell, then restart the kernel:" if self.in_kernel else
                    "Fix: run this in a cell, then restart whatever uses %s:"
                    % self.report.snapshot.interpreter.executable)
            fix = [head] + ["  " + l for l in lines]
            if self.fix_call:
                fix.append("or let envdoctor apply it: " + self.fix_call)
            body = body.rstrip("\n")
            last = body.rfind("\n")
            body = body[:last + 1] + "\n".join(fix) + "\n\n" + body[last + 1:] + "\n"
        return "\n".join(out) + ("\n" if out else "") + body

    def html(self) -> str:
        if self.report is None:
            return render_error_html(str(self.error))
        return render_html(self.report, in_kernel=self.in_kernel, verbose=self.verbose,
                           fix_call=self.fix_call, outcome=self.outcome)

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Dict[str, str]:
        return {"text/plain": self.text(), "text/html": self.html()}

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()


def _fix_call(recipe: Optional[str], python: Optional[str], deep: bool) -> str:
    args = []
    if recipe is not None:
        args.append(repr(recipe))
    if python is not None:
        args.append("python=%r" % python)
    if deep:
        args.append("deep=True")
    return "envdoctor.prelab(%s)" % ", ".join(args + ["fix=True"])


class _Say(Progress):
    """Progress as ``envdoctor: ...`` lines in the cell (none when ``quiet``)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def update(self, message: str) -> None:
        if not self.quiet:
            sys.stdout.write("envdoctor: %s\n" % message)
            sys.stdout.flush()


def _apply_fix(report: Any, progress: Progress) -> Dict[str, Any]:
    """``envdoctor fix --apply --yes`` on the report's environment (:func:`envdoctor.api.
    plan_fix`, then :func:`~envdoctor.api.apply_fix`), as an outcome for the cell."""
    try:
        fix = plan_fix(report, progress=progress)
    except PipError as exc:
        return {"ok": False, "headline": "Fix not applied.", "actions": [],
                "message": "pip could not plan the fix: %s" % exc}
    notes, plan = fix.warnings, fix.plan
    actions = ["%s %s %s" % (a.kind, a.name, "%s -> %s" % (a.before, a.after) if a.before
                             else a.after) for a in plan.actions]
    if not plan.actions:
        return {"ok": False, "headline": "Fix not applied.", "actions": notes,
                "message": "pip has nothing to change; the remaining errors need the steps "
                           "they describe."}
    result = apply_fix(fix, progress=progress)
    if result.ok:
        message = ("envdoctor check passes (transaction %s; `envdoctor rollback %s` undoes it)."
                   % (result.transaction.id, result.transaction.id))
        return {"ok": True, "headline": "Fix applied.", "message": message,
                "actions": notes + actions,
                "transaction": result.transaction.id}
    message = "The fix failed: %s." % result.message.rstrip(".")
    if result.rolled_back:
        message += " Rolled back: the environment is %s." % (
            "exactly as it was" if result.rollback_exact else
            "restored, but its freeze differs from the saved one (see `envdoctor rollback "
            "--list`)")
    return {"ok": False, "headline": "Fix not applied.", "message": message,
            "actions": notes + actions,
            "transaction": result.transaction.id if result.transaction else None}


def prelab(recipe: Optional[str] = None, python: Optional[str] = None, deep: bool = False,
           fix: bool = False, verbose: bool = False, strict: bool = False,
           timeout: float = 30.0, deep_timeout: float = 180.0, matrix: Optional[str] = None,
           quiet: bool = False, lab: Optional[str] = None,
           ignore: Sequence[str] = ()) -> PrelabResult:
    """Check (and with ``fix=True`` fix) an environment for a lab; returns a
    :class:`PrelabResult` that a notebook shows as HTML.

    ``recipe``: the lab (``"gpt-imdb"``; default: the newest lab for the target's Python;
    ``"none"``: only requirements and the compatibility matrix). ``python``: another
    interpreter or venv folder (default: this kernel's own, ``sys.executable``). ``deep``:
    also import the lab's modules in child processes. ``fix``: apply the fix like
    ``envdoctor fix --apply --yes`` (progress is printed unless ``quiet``). ``lab``: the
    lab's notebook, script or folder to check against; without it and without ``recipe``,
    the notebook this kernel runs (when Jupyter or VS Code says which). ``ignore``: finding
    codes left out of the verdict (``envdoctor check --ignore``). Never prompts.
    """
    say = _Say(quiet)
    target = python or sys.executable
    if lab is None and recipe is None:
        from envdoctor.lab import notebook_path

        lab = notebook_path()
    try:
        report = diagnose(target, lab=lab, recipe=recipe, deep=deep, matrix_file=matrix,
                          strict=strict, timeout=timeout, deep_timeout=deep_timeout,
                          progress=say, ignore=ignore)
        in_kernel = _same_environment(report.snapshot.interpreter.prefix)
        outcome = None
        if fix and report.summary()["errors"]:
            outcome = _apply_fix(report, say)
            if outcome["ok"]:
                outcome["restart"] = RESTART_KERNEL if in_kernel else (
                    "Restart any kernel or program that uses %s so it imports the new versions."
                    % report.snapshot.interpreter.executable)
            report = diagnose(target, lab=lab, recipe=recipe, matrix_file=matrix,
                              strict=strict, timeout=timeout, ignore=ignore)
        elif fix:
            outcome = {"ok": True, "headline": "Nothing to fix:",
                       "message": "envdoctor check finds no errors.", "actions": []}
    except EnvdoctorError as exc:
        return PrelabResult(error=str(exc), verbose=verbose)
    return PrelabResult(report, in_kernel=in_kernel, outcome=outcome, verbose=verbose,
                        fix_call=None if fix else _fix_call(recipe, python, deep))


# -- %envdoctor ----------------------------------------------------------------------------

MAGIC_USAGE = """\
%envdoctor check [RECIPE] [--fix] [envdoctor check's options: --python PATH, --lab PATH,
                 --recipe NAME, --deep, --strict, -v, --timeout S, --deep-timeout S, ...]
    check this kernel's environment (or --python's) and show the verdict as HTML
    (with --smoke or -r FILE: envdoctor check's text output)
%envdoctor COMMAND [ARGS]
    any other envdoctor command (explain, recipes, fix, ...), run without input
"""


def _check_parser() -> Any:
    """``envdoctor check``'s own options (one declaration, envdoctor.options), plus the cell's:
    the recipe as a word and ``--fix``."""
    from envdoctor.options import add_check_options, add_target_arguments

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # never SystemExit inside a kernel
            raise UsageError(message)

    parser = Parser(prog="%envdoctor check", add_help=False)
    parser.add_argument("recipe_pos", nargs="?", metavar="RECIPE")
    add_target_arguments(parser, allow_from=False)
    add_check_options(parser)
    parser.add_argument("--fix", action="store_true")
    parser.add_argument("-h", "--help", action="store_true")
    return parser


def _run_cli(argv: List[str]) -> int:
    """Another envdoctor command, in a child process with no stdin (it can never wait for an
    answer); its output is streamed into the cell."""
    proc = start_stream([sys.executable, "-m", "envdoctor"] + argv,
                        env=dict(os.environ, NO_COLOR="1"), merge_stderr=True)
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
        return proc.wait()
    finally:  # an interrupted cell must not leave the command running
        kill_process_group(proc)


def envdoctor_magic(line: str) -> Optional[PrelabResult]:
    """The ``%envdoctor`` line magic."""
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        sys.stdout.write("%%envdoctor: %s\n%s" % (exc, MAGIC_USAGE))
        return None
    if not argv or argv[0] == "check":
        try:
            args = _check_parser().parse_args(argv[1:])
        except UsageError as exc:
            sys.stdout.write("%%envdoctor check: %s\n%s" % (exc, MAGIC_USAGE))
            return None
        if args.help:
            sys.stdout.write(MAGIC_USAGE)
            return None
        if args.recipe and args.recipe_pos:
            sys.stdout.write("%envdoctor check: give the recipe once\n")
            return None
        if args.smoke or args.requirements:  # the cell view has neither: the CLI's text
            code = _run_cli(["check"] + [a for a in argv[1:] if a != "--fix"])
            if code:
                sys.stdout.write("(envdoctor exited with %d)\n" % code)
            return None
        return prelab(args.recipe or args.recipe_pos, python=args.python, deep=args.deep,
                      fix=args.fix, verbose=args.verbose, strict=args.strict,
                      timeout=args.timeout, deep_timeout=args.deep_timeout,
                      matrix=args.matrix, lab=args.lab, ignore=args.ignore)
    if argv[0] in ("help", "-h", "--help"):
        sys.stdout.write(MAGIC_USAGE)
        return None
    code = _run_cli(argv)
    if code:
        sys.stdout.write("(envdoctor exited with %d)\n" % code)
    return None


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext envdoctor``: registers the ``%envdoctor`` line magic."""
    ipython.register_magic_function(envdoctor_magic, magic_kind="line", magic_name="envdoctor")
