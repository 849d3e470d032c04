"""``envdoctor matrix verify``: the command line of the verification harness."""

import argparse
import os
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from envdoctor.errors import EXIT_OK, EXIT_PROBLEMS, UsageError

__all__ = ["add_arguments", "run_command", "write_matrix_block", "build_block",
           "default_combos_path"]


def default_combos_path() -> str:
    from envdoctor.resources import data_path

    return data_path(os.path.join("verification", "combos.yaml"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from envdoctor.verify import default_workers

    parser.add_argument("--combos", metavar="FILE",
                        help="combinations file (default: verification/combos.yaml)")
    parser.add_argument("--only", action="append", default=[], metavar="ID",
                        help="run only this combination (repeatable, or ID,ID)")
    parser.add_argument("--python", metavar="X.Y", help="run only the combinations for this Python")
    parser.add_argument("--workdir", default="~/.cache/envdoctor/verify", metavar="DIR",
                        help="venvs, logs and caches (default ~/.cache/envdoctor/verify)")
    parser.add_argument("--workers", type=int, default=default_workers(), metavar="N",
                        help="combinations built at once (default %d here; each venv takes "
                             "about 2.5 GB)" % default_workers())
    parser.add_argument("--wheels", metavar="DIR",
                        help="wheel folder pip looks in first, where big downloads are kept "
                             "for the next venv (default WORKDIR/wheels)")
    parser.add_argument("--pip-cache", metavar="DIR",
                        help="PIP_CACHE_DIR shared by every venv (default WORKDIR/pip-cache)")
    parser.add_argument("--pip-config", metavar="FILE",
                        help="PIP_CONFIG_FILE for every pip run; /dev/null ignores this "
                             "machine's pip configuration (extra indexes, constraints), as a "
                             "fresh user's pip would")
    parser.add_argument("--evidence", metavar="DIR",
                        help="where the verification/<id>/ folders go (default: the combos "
                             "file's folder)")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="a value for ${NAME} in the steps (else the environment's)")
    parser.add_argument("--keep", action="store_true", help="keep the venvs afterwards")
    parser.add_argument("--write", action="store_true",
                        help="then regenerate the verified block of the matrix from the "
                             "evidence of every combination")
    parser.add_argument("--write-only", action="store_true",
                        help="only regenerate that block from the evidence already recorded")
    parser.add_argument("--matrix", metavar="PATH",
                        help="matrix file to write (default: the bundled compat_matrix.yaml)")
    parser.add_argument("--dry-run", action="store_true", help="list what would run, run nothing")
    parser.add_argument("--ci-matrix", action="store_true",
                        help="print the combinations as a GitHub Actions strategy.matrix "
                             "(JSON) and run nothing")
    parser.add_argument("--install-timeout", type=float, default=3600.0, metavar="S",
                        help="seconds each pip / uv run may take (default 3600)")
    parser.add_argument("--deep-timeout", type=float, default=300.0, metavar="S",
                        help="seconds each deep import may take (default 300)")
    parser.add_argument("--smoke-timeout", type=float, default=900.0, metavar="S",
                        help="seconds the smoke train may take (default 900)")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the outcomes as JSON")


def _parse_vars(items: Sequence[str]) -> Dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError("--var wants NAME=VALUE, got %r" % item)
        out[name] = value
    return out


def _lint_text(content: str, folder: str) -> Tuple[Any, str]:
    """Load ``content`` as a matrix file in ``folder``: (matrix, its temporary path)."""
    import tempfile

    from envdoctor.matrix import load_matrix

    fd, tmp = tempfile.mkstemp(prefix=".matrix-", suffix=".yaml", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        return load_matrix(tmp), tmp
    except Exception:
        os.remove(tmp)
        raise


def build_block(combos: Sequence[Any], evidence: str, matrix: str) -> Dict[str, Any]:
    """The verified block the evidence gives for ``matrix``: {text (the new matrix), block,
    rules, notes, outcomes}. Reads files; writes nothing."""
    from envdoctor.verify.block import generate_rules, render_block, replace_block, split_block
    from envdoctor.verify.evidence import read_outcome

    with open(matrix, encoding="utf-8") as handle:
        text = handle.read()
    hand_text, _ = split_block(text, matrix)
    folder = os.path.dirname(os.path.abspath(matrix))
    hand, tmp = _lint_text(hand_text, folder)
    os.remove(tmp)
    outcomes = [o for o in (read_outcome(os.path.join(evidence, c.id), folder) for c in combos)
                if o is not None]
    rules, notes = generate_rules(outcomes, {c.id: c for c in combos}, hand.rules)
    notes += ["%s: not run here: %s" % (c.id, c.skip) for c in combos if c.skip]
    block = render_block(rules, notes)
    return {"text": replace_block(text, block, matrix), "block": block, "rules": rules,
            "notes": notes, "outcomes": outcomes}


def write_matrix_block(combos: Sequence[Any], evidence: str, matrix: str
                       ) -> Tuple[List[Dict[str, Any]], List[str]]:
    """Regenerate the matrix's verified block from ``evidence/<id>/meta.json`` of every
    combination (and ``evidence/SUMMARY.md``); the new matrix must load (lint) before it
    replaces the file."""
    from envdoctor.verify.block import render_summary

    built = build_block(combos, evidence, matrix)
    _, tmp = _lint_text(built["text"], os.path.dirname(os.path.abspath(matrix)))
    os.replace(tmp, matrix)  # only a matrix that loads replaces the old one
    os.makedirs(evidence, exist_ok=True)
    with open(os.path.join(evidence, "SUMMARY.md"), "w", encoding="utf-8") as handle:
        handle.write(render_summary(built["outcomes"], combos))
    return built["rules"], built["notes"]


def _table(outcomes: Sequence[Any]) -> List[str]:
    rows = [("combination", "python", "verdict", "error")]
    for o in outcomes:
        rows.append((o.id, o.python or "-", o.verdict, (o.error or "")[:110]))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    return ["%-*s  %-*s  %-*s  %s" % (width[0], r[0], width[1], r[1], width[2], r[2], r[3])
            for r in rows]


def run_command(args: argparse.Namespace) -> int:
    import json

    from envdoctor.resources import matrix_path
    from envdoctor.verify.combos import ci_matrix, load_combos, select
    from envdoctor.verify.harness import Settings, describe_plan, find_uv, run_all

    combos_path = args.combos or default_combos_path()
    combos_file = load_combos(combos_path)
    chosen = select(combos_file.combos, args.only, args.python)
    if args.ci_matrix:
        sys.stdout.write(json.dumps(ci_matrix(chosen)) + "\n")
        return EXIT_OK
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    workdir = os.path.abspath(os.path.expanduser(args.workdir))
    settings = Settings(
        workdir=workdir,
        evidence=os.path.abspath(args.evidence or os.path.dirname(os.path.abspath(combos_path))),
        root=combos_file.root,
        labs=os.path.join(os.path.dirname(os.path.abspath(combos_path)), "labs"),
        wheels=os.path.abspath(os.path.expanduser(args.wheels or os.path.join(workdir, "wheels"))),
        pip_cache=os.path.abspath(os.path.expanduser(
            args.pip_cache or os.path.join(workdir, "pip-cache"))),
        variables=_parse_vars(args.var),
        keep=args.keep,
        install_timeout=args.install_timeout,
        deep_timeout=args.deep_timeout,
        smoke_timeout=args.smoke_timeout,
        uv=find_uv(),
        date=args.date,
        pip_config=args.pip_config,
    )
    if args.dry_run:
        for combo in chosen:
            sys.stdout.write("\n".join(describe_plan(combo, settings)) + "\n")
        return EXIT_OK
    outcomes = []  # type: List[Any]
    if not args.write_only:
        for folder in (workdir, settings.wheels, settings.pip_cache):
            os.makedirs(folder, exist_ok=True)
        outcomes = run_all(chosen, settings, args.workers,
                           log=lambda text: sys.stderr.write("envdoctor: %s\n" % text))
    written: Optional[Tuple[List[Dict[str, Any]], List[str]]] = None
    if args.write or args.write_only:
        matrix = os.path.abspath(args.matrix or matrix_path())
        written = write_matrix_block(combos_file.combos, settings.evidence, matrix)
    by_id = {c.id: c for c in chosen}
    surprises = [o for o in outcomes if o.verdict in ("works", "broken") and
                 by_id[o.id].expect and by_id[o.id].expect != o.verdict]
    undecided = [o for o in outcomes if o.verdict not in ("works", "broken") and
                 not by_id[o.id].skip]
    if args.json:
        sys.stdout.write(json.dumps({
            "outcomes": [{"id": o.id, "python": o.python, "verdict": o.verdict,
                          "stage": o.stage, "error": o.error, "versions": dict(o.versions),
                          "freeze": o.freeze} for o in outcomes],
            "written": {"rules": [r["id"] for r in written[0]], "notes": written[1]}
            if written else None}, indent=2) + "\n")
    else:
        if outcomes:
            sys.stdout.write("\n".join(_table(outcomes)) + "\n")
        for o in surprises:
            sys.stdout.write("%s: expected %s, got %s\n" % (o.id, by_id[o.id].expect, o.verdict))
        if written:
            sys.stdout.write("%s: wrote %d verified rules\n" % (
                args.matrix or matrix_path(), len(written[0])))
            for note in written[1]:
                sys.stdout.write("  note: %s\n" % note)
    return EXIT_PROBLEMS if surprises or undecided else EXIT_OK
