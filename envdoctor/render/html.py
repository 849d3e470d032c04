"""HTML output: a check's report as one self-contained, escaped fragment (for a notebook cell).

Pure functions of a :class:`~envdoctor.report.Report` (and a few plain arguments): inline
styles only, no scripts, no links to load, so the fragment looks the same in JupyterLab,
classic Notebook, VS Code and an HTML file, on light and dark themes alike.
"""

import html
import shlex
from typing import Any, Dict, List, Optional, Sequence

from envdoctor import __version__
from envdoctor.findings import Finding, Fix, Severity, pip_install_command
from envdoctor.frameworks import install_steps
from envdoctor.render.devices import device_lines
from envdoctor.render.text import fixes_shown_above, ignored_summary
from envdoctor.report import Report

__all__ = ["render_html", "render_error_html", "notebook_fix_lines", "notebook_command",
           "notebook_install",
           "SEVERITY_COLOURS", "esc"]

FONT = ("-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
        "sans-serif")
MONO = "SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace"
GREEN, RED, AMBER, GREY = "#1a7f37", "#cf222e", "#9a6700", "#57606a"
SEVERITY_COLOURS = {"error": RED, "warning": AMBER, "info": "#0969da"}


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _pip_args(command: str) -> Optional[List[str]]:
    """'python -m pip install a b' (or 'pip install a b') -> ['a', 'b']; None otherwise. Only
    for a Fix that carries a command but no requirements (a recipe's install step)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    for start in range(len(words)):
        if words[start:start + 3] == ["-m", "pip", "install"]:
            return words[start + 3:]
        if start == 0 and words[:2] in (["pip", "install"], ["pip3", "install"]):
            return words[2:]
    return None


def notebook_install(requirements: Sequence[str], python: Optional[str],
                     in_kernel: bool, options: Sequence[str] = (), verb: str = "install") -> str:
    """Requirements as one notebook line: ``%pip install ...`` when they go into the kernel's
    own interpreter (``%pip`` always installs there), else ``!<python> -m pip install ...``.
    ``options`` (``--no-deps``, ``-y``) and ``verb`` (``uninstall``) are envdoctor's own."""
    quoted = " ".join(shlex.quote(r) for r in list(options) + list(requirements))
    if in_kernel:
        return "%%pip %s %s" % (verb, quoted)
    return "!%s -m pip %s %s" % (shlex.quote(python or "python"), verb, quoted)


def notebook_command(command: str, python: Optional[str], in_kernel: bool) -> str:
    """A shell command as a notebook line: a pip install as :func:`notebook_install`, anything
    else behind ``!``."""
    args = _pip_args(command)
    if args is None:
        return "!" + command
    return notebook_install(args, python, in_kernel)


def _fix_line(fix: Fix, python: Optional[str], in_kernel: bool) -> str:
    """A finding's fix as a notebook line: from its requirements when its command is the
    plain install of them, else the command itself (an uninstall first, --no-deps steps)."""
    if fix.requirements and fix.command == pip_install_command(fix.requirements, python):
        return notebook_install(fix.requirements, python, in_kernel)
    if fix.command and " && " in fix.command:
        return "!" + fix.command  # several pip runs, each naming the target interpreter
    return notebook_command(fix.command or "", python, in_kernel)


def notebook_fix_lines(report: Report, in_kernel: bool = True) -> List[str]:
    """The fix to copy into a cell, one line per pip call; [] when there is nothing to install.

    A bare environment (none of the lab's packages) gets the recipe's install steps, which put
    a CPU torch first; otherwise one command with every error's pinned fix (pip resolves them
    together)."""
    python = report.snapshot.interpreter.executable
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    bare = any(f.code == "ED301" and f.evidence.installed == "none of them" for f in errors)
    if bare and report.recipe is not None and report.recipe.install:
        # recipe steps are shell commands by nature (a CPU torch from its own index first)
        return [notebook_command(step, python, in_kernel) for step in report.recipe.install]
    reqs = report.fix_requirements
    return [notebook_install(r, python, in_kernel, options, verb)
            for verb, options, r in install_steps(reqs, report.snapshot)] if reqs else []


def _style(**props: str) -> str:
    return "; ".join("%s: %s" % (k.replace("_", "-"), v) for k, v in props.items())


def _code(text: str, colour: str = "#1f2328") -> str:
    return ('<code style="%s">%s</code>'
            % (_style(font_family=MONO, font_size="12.5px", background="#eff1f3",
                      color=colour, padding="1px 5px", border_radius="4px",
                      overflow_wrap="anywhere"), esc(text)))


def _pre(text: str, label: str = "") -> str:
    """A block to copy: one click selects all of it (user-select: all)."""
    return ('<pre title="click to select, then copy" %sstyle="%s">%s</pre>'
            % ('data-envdoctor="%s" ' % esc(label) if label else "",
               _style(font_family=MONO, font_size="13px", background="#f6f8fa",
                      color="#0a3069", border="1px solid #d0d7de", border_radius="6px",
                      padding="8px 10px", margin="6px 0", white_space="pre-wrap",
                      overflow_wrap="anywhere", user_select="all", _webkit_user_select="all"),
               esc(text)))


def _badge(severity: str) -> str:
    colour = SEVERITY_COLOURS.get(severity, GREY)
    return ('<span style="%s">%s</span>'
            % (_style(display="inline-block", min_width="54px", text_align="center",
                      background=colour, color="#ffffff", font_size="11px", font_weight="600",
                      text_transform="uppercase", letter_spacing="0.04em",
                      border_radius="10px", padding="1px 8px", margin_right="6px"),
               esc(severity)))


def _kv(label: str, value_html: str) -> str:
    return ('<div style="%s"><span style="color:%s">%s:</span> %s</div>'
            % (_style(margin="2px 0 0 0"), GREY, esc(label), value_html))


def _finding_html(finding: Finding, python: Optional[str], in_kernel: bool,
                  verbose: bool, fix_shown_for: Optional[str] = None) -> str:
    out = ['<div data-code="%s" data-severity="%s" style="%s">'
           % (esc(finding.code), esc(finding.severity.value),
              _style(padding="9px 14px", border_top="1px solid #eaeef2"))]
    out.append('<div>%s<strong style="font-family:%s">%s</strong>&nbsp; <strong>%s</strong></div>'
               % (_badge(finding.severity.value), MONO, esc(finding.code), esc(finding.title)))
    if finding.severity is Severity.INFO and not verbose:
        out.append("</div>")
        return "".join(out)
    out.append('<div style="margin:3px 0 0 0">%s</div>' % esc(finding.because))
    ev = finding.evidence
    if ev.summary():
        out.append(_kv("evidence", esc(ev.summary())))
    if ev.source:
        out.append(_kv("source", esc(ev.source)))
    for key, value in ev.details:
        if key == "traceback" and not verbose:
            continue
        if "\n" in value:
            out.append(_kv(key, "") + _pre(value))
        else:
            out.append(_kv(key, esc(value)))
    if finding.fix and fix_shown_for:
        out.append(_kv("fix", esc("the same as for the %s above" % fix_shown_for)))
    elif finding.fix:
        if finding.fix.command:
            out.append(_kv("fix", _code(_fix_line(finding.fix, python, in_kernel), GREEN)))
        if finding.fix.text:
            out.append(_kv("note" if finding.fix.command else "fix", esc(finding.fix.text)))
    out.append("</div>")
    return "".join(out)


def _verdict(report: Report) -> Dict[str, Any]:
    summary = report.summary()
    counts = "%d error%s, %d warning%s" % (
        summary["errors"], "" if summary["errors"] == 1 else "s",
        summary["warnings"], "" if summary["warnings"] == 1 else "s")
    lab = " for lab %s" % report.recipe.name if report.recipe else ""
    ready = summary["exit_code"] == 0
    return {"ready": ready, "headline": ("Ready%s" if ready else "Not ready%s") % lab,
            "counts": counts, "seconds": summary["seconds"], "verdict": summary["verdict"]}


def _environment_line(report: Report) -> str:
    env = report.environment()
    kind = "conda env" if env["conda"] else "venv" if env["venv"] else "system"
    facts = [esc("Python %s (%s)" % (env["python"], kind)), _code(str(env["executable"])),
             esc(env["platform"]), esc("pip %s" % (env["pip"] or "missing")),
             esc("%d distributions" % env["distributions"])]
    facts += [esc("%s %s" % kv) for kv in env["lab_packages"].items()]
    line = " &middot; ".join(facts)
    if report.recipe:
        line += "<br>lab recipe <strong>%s</strong> (%s, %s)" % (
            esc(report.recipe.name), esc(report.recipe.title), esc(report.recipe.status))
    if report.source == "file":
        line += "<br>from a saved snapshot taken %s" % esc(env["snapshot_created"])
    return line


def _device_html(report: Report) -> str:
    if report.device_error is not None:
        found = [("devices", "summary failed: %s" % report.device_error)]
    else:
        found = device_lines(report.devices) if report.devices is not None else []
    if not found:
        return ""
    rows = "".join('<tr><td style="color:%s; padding:1px 12px 1px 0; vertical-align:top">%s'
                   '</td><td style="padding:1px 0">%s</td></tr>' % (GREY, esc(k), esc(v))
                   for k, v in found)
    return ('<details style="padding:6px 14px; border-top:1px solid #eaeef2">'
            '<summary style="cursor:pointer; color:%s">Devices</summary>'
            '<table style="border-collapse:collapse; font-size:12.5px; margin-top:4px">%s'
            '</table></details>' % (GREY, rows))


def _frame(inner: str, kind: str) -> str:
    return ('<div class="envdoctor-%s" style="%s">%s</div>'
            % (kind, _style(font_family=FONT, font_size="14px", line_height="1.45",
                            color="#1f2328", background="#ffffff", border="1px solid #d0d7de",
                            border_radius="8px", max_width="980px", overflow="hidden",
                            text_align="left", margin="4px 0"), inner))


def _banner(ok: bool, headline: str, detail: str, colour: Optional[str] = None,
            state: Optional[str] = None) -> str:
    colour = colour or (GREEN if ok else RED)
    mark = "&#10004;" if ok else "&#10008;"
    return ('<div data-verdict="%s" style="%s"><span style="font-size:17px; font-weight:600">'
            '%s %s</span> <span style="opacity:0.92; margin-left:6px">%s</span></div>'
            % (state or ("ready" if ok else "not-ready"),
               _style(padding="10px 14px", background=colour, color="#ffffff"),
               mark, esc(headline), esc(detail)))


def render_html(report: Report, in_kernel: bool = True, verbose: bool = False,
                fix_call: Optional[str] = None, outcome: Optional[Dict[str, Any]] = None,
                title: str = "envdoctor pre-lab check") -> str:
    """The report as an HTML fragment.

    ``in_kernel``: the report is about the notebook kernel's own interpreter (fixes are shown
    as ``%pip install``; else as ``!<python> -m pip install``). ``fix_call``: the Python call
    that applies the fix, shown next to it. ``outcome``: what applying a fix did
    (``ok``, ``message``, ``actions``, ``restart``), shown above the findings."""
    verdict = _verdict(report)
    python = report.snapshot.interpreter.executable
    detail = verdict["counts"]
    if verdict["seconds"] is not None:
        detail += " \u00b7 %.1f s" % verdict["seconds"]
    out = [_banner(verdict["ready"], verdict["headline"], detail)]
    out.append('<div style="%s"><strong style="color:#1f2328">%s</strong><br>%s</div>'
               % (_style(padding="7px 14px", color=GREY, font_size="12.5px",
                         background="#f6f8fa"), esc(title), _environment_line(report)))
    if outcome:
        out.append(_outcome_html(outcome))
    shown = [f for f in report.findings if verbose or f.severity is not Severity.INFO]
    hidden = len(report.findings) - len(shown)
    above = fixes_shown_above(shown) if not verbose else [None] * len(shown)
    for finding, shown_for in zip(shown, above):
        out.append(_finding_html(finding, python, in_kernel, verbose, shown_for))
    if not shown:
        out.append('<div style="padding:9px 14px; border-top:1px solid #eaeef2; color:%s">'
                   'Nothing wrong found.</div>' % GREEN)
    lines = notebook_fix_lines(report, in_kernel)
    if lines and not (outcome and outcome.get("ok")):
        restart = ("then restart the kernel (Kernel &rsaquo; Restart)" if in_kernel else
                   "then restart whatever uses %s" % _code(str(python)))
        out.append('<div data-envdoctor="fix" style="%s"><strong>Fix:</strong> run this in a '
                   'cell, %s:%s' % (_style(padding="9px 14px", border_top="2px solid #d0d7de",
                                           background="#fbfcfd"), restart,
                                    _pre("\n".join(lines), "fix-lines")))
        if fix_call:
            out.append('<div style="color:%s; font-size:12.5px">or let envdoctor apply it '
                       '(confirmed by pip first, rolled back if anything fails): %s</div>'
                       % (GREY, _code(fix_call)))
        out.append("</div>")
    footer = "envdoctor %s" % __version__
    if report.ignored:
        footer += " \u00b7 ignored: %s" % ignored_summary(report.ignored)
    if hidden:
        footer += " \u00b7 %d info finding%s hidden (verbose=True shows them)" % (
            hidden, "" if hidden == 1 else "s")
    out.append(_device_html(report))
    out.append('<div style="%s">%s</div>' % (
        _style(padding="4px 14px", color=GREY, font_size="11.5px",
               border_top="1px solid #eaeef2"), esc(footer)))
    return _frame("".join(out), "report")


def _outcome_html(outcome: Dict[str, Any]) -> str:
    ok = bool(outcome.get("ok"))
    colour = GREEN if ok else RED
    out = ['<div data-envdoctor="fix-outcome" style="%s">' % _style(
        padding="9px 14px", border_left="4px solid %s" % colour, background="#f6f8fa")]
    out.append('<strong style="color:%s">%s</strong> %s' % (
        colour, esc(outcome.get("headline") or ("Fix applied." if ok else "Fix not applied.")),
        esc(outcome.get("message", ""))))
    actions: Sequence[str] = outcome.get("actions") or []
    if actions:
        out.append('<ul style="margin:4px 0 0 0; padding-left:20px">%s</ul>'
                   % "".join("<li>%s</li>" % esc(a) for a in actions))
    if outcome.get("restart"):
        out.append('<div style="margin-top:6px; font-weight:600; color:%s">&#8635; %s</div>'
                   % (AMBER, esc(outcome["restart"])))
    out.append("</div>")
    return "".join(out)


def render_error_html(message: str, title: str = "envdoctor pre-lab check") -> str:
    """envdoctor itself could not run (no such interpreter, unknown recipe, ...)."""
    return _frame(_banner(False, "envdoctor could not check this environment", "", GREY,
                          "error")
                  + '<div style="padding:9px 14px"><strong>%s</strong><pre style="%s">%s</pre>'
                    '</div>' % (esc(title), _style(font_family=MONO, white_space="pre-wrap",
                                                   margin="4px 0"), esc(message)), "error")
