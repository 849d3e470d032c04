"""``envdoctor lab card PATH`` (the lab's environment card) and ``envdoctor lab scan DIR`` (every
notebook and script of a course folder against a target: a linter for a course)."""

import argparse
import json
import platform
import re
import sys
from collections import Counter
from typing import Any

from envdoctor.commands import target_of
from envdoctor.console import write_safe
from envdoctor.errors import EXIT_ERROR, EXIT_OK, EXIT_PROBLEMS, UsageError

__all__ = ["register"]


def register(sub: Any) -> None:
    parser = sub.add_parser("lab", help="read a lab's notebooks and scripts: its card, or "
                                        "scan a course folder")
    actions = parser.add_subparsers(dest="lab_command", metavar="ACTION")
    card = actions.add_parser(
        "card", help="the lab's environment card (Markdown; --json)",
        description="Python, MindSpore, MindNLP and every other package with versions, the "
                    "device, hub access and mirrors a lab needs, each with its evidence (the "
                    "lab's line, the API index, the matrix). The lab is read, never run.")
    card.add_argument("path", help="a notebook, a script, a requirements file or a folder")
    card.add_argument("--json", action="store_true", help="print only JSON on stdout")
    plan_for = card.add_mutually_exclusive_group()
    plan_for.add_argument("--python", metavar="PATH",
                          help="also plan the lab's MindSpore / MindNLP for this interpreter")
    plan_for.add_argument("--from", dest="from_file", metavar="FILE",
                          help="also plan for a saved snapshot (envdoctor snapshot -o)")
    card.set_defaults(func=run_card)
    scan = actions.add_parser(
        "scan", help="every notebook and script of a course folder against a target",
        description="One line per notebook or script: its verdict and first cause, then a "
                    "summary. The target is --python (an interpreter, probed), --from (a "
                    "saved snapshot), or a Python version and platform (default: this "
                    "machine's) with nothing installed.")
    scan.add_argument("path", help="the course folder")
    target = scan.add_mutually_exclusive_group()
    target.add_argument("--python", metavar="PATH", help="judge against this interpreter")
    target.add_argument("--from", dest="from_file", metavar="FILE",
                        help="judge against a saved snapshot (envdoctor snapshot -o)")
    scan.add_argument("--python-version", metavar="X.Y",
                      help="a Python version for the platform target (default: this one)")
    scan.add_argument("--platform", metavar="SYSTEM-MACHINE",
                      help="e.g. linux-x86_64 (default: this machine)")
    scan.add_argument("--history", action="store_true",
                      help="every committed version of each file (in a git checkout)")
    scan.add_argument("--json", action="store_true", help="print only JSON on stdout")
    scan.set_defaults(func=run_scan)
    parser.set_defaults(func=_usage)


def _usage(args: argparse.Namespace) -> int:
    raise UsageError("usage: envdoctor lab card PATH | envdoctor lab scan DIR")


def _read(path: str) -> Any:
    from envdoctor.lab import LabReadError, read_lab

    try:
        return read_lab(path)
    except LabReadError as exc:
        raise UsageError(str(exc))


def run_card(args: argparse.Namespace) -> int:
    from envdoctor.lab.apicheck import load_index
    from envdoctor.lab.card import lab_card, render_markdown
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import matrix_path

    lab = _read(args.path)
    index, matrix = load_index(), load_matrix(matrix_path())
    card = lab_card(lab, index, matrix)
    target = None
    if args.python or args.from_file:
        from envdoctor.api import take_target
        from envdoctor.lab.plan import lab_requirements

        snapshot = take_target(target_of(args), timeout=60.0)
        target = lab_requirements(lab, snapshot, index, matrix)
    if args.json:
        data = card.to_dict()
        if target is not None:
            data["plan"] = target.to_dict()
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        text = render_markdown(card)
        if target is not None:
            text += "\n" + render_plan(target)
        write_safe(text)
    return EXIT_OK


def render_plan(target: Any) -> str:
    """The plan toward the lab, in Markdown (what `fix --lab` would install)."""
    out = ["## Plan for this target", ""]
    if not target.ok:
        out.append("Nothing to install: %s" % target.refusal)
        out += ["", "What would work:", ""] + ["- %s" % w for w in target.would_work]
    else:
        for choice in target.choices:
            out.append("- %s: %s%s%s" % (
                "MindSpore" if choice.family == "mindspore" else "MindNLP",
                "keep " + choice.label if choice.keep else "install `%s`" % choice.requirement,
                " (with --no-deps: pip would add `mindspore` over another distribution)"
                if choice.no_deps and not choice.keep else "",
                " (verified: %s)" % ", ".join(choice.verified_by) if choice.verified_by else ""))
        if target.torch:
            out.append("- torch: install `%s` first (a CPU build)" % target.torch)
        if not target.changes:
            out.append("- nothing to change: the installed releases have every name the lab "
                       "imports")
    out += ["", "Evidence:", ""] + ["- %s" % e for e in target.evidence]
    return "\n".join(out) + "\n"


def _target(args: argparse.Namespace) -> Any:
    """(snapshot, description, platform only)."""
    from envdoctor.lab.scan import platform_snapshot

    if args.python or args.from_file:
        from envdoctor.api import take_target

        snapshot = take_target(target_of(args), timeout=getattr(args, "timeout", 60.0))
        return snapshot, "%s (Python %s)" % (snapshot.interpreter.executable,
                                             snapshot.python_version), False
    version = args.python_version or platform.python_version()
    if not re.match(r"^3\.\d+(\.\d+)?$", version):
        raise UsageError("--python-version is X.Y, e.g. 3.10 (got %r)" % version)
    if args.platform:
        system, _, machine = args.platform.partition("-")
        if not machine:
            raise UsageError("--platform is SYSTEM-MACHINE, e.g. linux-x86_64")
    else:
        system, machine = platform.system(), platform.machine()
    snapshot = platform_snapshot(version, system, machine)
    return snapshot, "Python %s on %s-%s, nothing installed" % (
        ".".join(version.split(".")[:2]), system.lower(), machine.lower()), True


def run_scan(args: argparse.Namespace) -> int:
    import os
    import time

    from envdoctor.lab.apicheck import load_index
    from envdoctor.lab.scan import scan_folder, scan_history
    from envdoctor.matrix import load_matrix
    from envdoctor.resources import matrix_path

    if not os.path.isdir(args.path):
        raise UsageError("no such folder: %s" % args.path)
    started = time.time()
    snapshot, described, platform_only = _target(args)
    index = load_index()
    matrix = load_matrix(matrix_path())  # what runs where, for a bare platform target
    if args.history:
        try:
            entries = scan_history(args.path, snapshot, platform_only, index, matrix)
        except (RuntimeError, OSError) as exc:
            raise UsageError("--history needs a git checkout: %s" % exc)
    else:
        entries = scan_folder(args.path, snapshot, platform_only, index, matrix)
    verdicts = Counter(e.verdict for e in entries)
    causes = Counter(f.code for e in entries for f in e.findings if f.severity.rank < 2)
    summary: dict = {"files": len(entries), "fails": verdicts["fails"], "warns": verdicts["warns"],
               "ok": verdicts["ok"], "causes": dict(causes.most_common()),
               "seconds": round(time.time() - started, 2)}
    if args.json:
        sys.stdout.write(json.dumps({"target": described, "history": args.history,
                                     "entries": [e.to_dict() for e in entries],
                                     "summary": summary}, indent=2) + "\n")
    else:
        lines = ["envdoctor lab scan %s against %s" % (args.path, described)]
        for e in entries:
            cause = e.first_cause
            more = sum(1 for f in e.findings if f.severity.rank < 2) - 1
            where = e.path + ("@%s %s" % (e.commit, e.date) if e.commit else "")
            lines.append("%-5s %s%s" % (e.verdict, where, "" if cause is None else
                                        "\n      %s %s%s" % (cause.code, cause.title,
                                                            " (+%d more)" % more if more > 0
                                                            else "")))
        lines.append("")
        lines.append("%d files: %d fail, %d warn, %d ok (%.2fs)" % (
            summary["files"], summary["fails"], summary["warns"], summary["ok"],
            summary["seconds"]))
        if causes:
            lines.append("causes: " + ", ".join("%s x%d" % kv for kv in causes.most_common()))
        write_safe("\n".join(lines) + "\n")
    if not entries:
        return EXIT_ERROR if not args.json else EXIT_OK
    return EXIT_PROBLEMS if verdicts["fails"] else EXIT_OK
