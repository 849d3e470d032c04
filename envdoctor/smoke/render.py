"""Smoke output: styled lines (pure), JSON, and the live display while stages run.

The line builders only format a :class:`SmokeResult` or an event; :class:`LiveDisplay`
decides how to show them as they come: a rich progress bar on a terminal, one plain line
per finished stage otherwise (a log file or CI reads them as they are written).
"""

import json
import sys
from typing import Any, Dict, List, Optional, Set, TextIO

from envdoctor.console import emit, use_colour
from envdoctor.render.text import Line, plain
from envdoctor.smoke.result import SmokeResult, Stage

__all__ = ["render_json", "render_smoke_lines", "header_line", "stage_lines", "footer_lines",
           "LiveDisplay"]

_MARKS = {
    "pass": ("  ok   ", "bold green"),
    "warn": ("  warn ", "bold yellow"),
    "fail": ("  FAIL ", "bold red"),
    "skip": ("  skip ", "dim"),
}
_TITLE_WIDTH = 26


def render_json(result: SmokeResult) -> str:
    return json.dumps(result.to_dict(), indent=2, sort_keys=False)


def header_line(python: str, level: str, device: Optional[str] = None,
                python_version: Optional[str] = None) -> Line:
    where = "%s (Python %s)" % (python, python_version) if python_version else python
    extra = ", device %s" % device if device else ""
    return [("envdoctor smoke ", "bold"), (where, ""), ("  level %s%s" % (level, extra), "dim")]


def _seconds(value: Optional[float]) -> str:
    return "%6.1fs" % value if value is not None else " " * 7


def stage_lines(stage: Stage, verbose: bool = False) -> List[Line]:
    mark, style = _MARKS.get(stage.status, ("  ?    ", ""))
    lines = [[(mark, style), (stage.title.ljust(_TITLE_WIDTH), "bold" if stage.failed else ""),
              (_seconds(stage.seconds), "dim"), ("  " + stage.detail, "" if stage.status !=
                                                 "skip" else "dim")]]
    pad = " " * 7
    if stage.hint is not None:
        lines.append([(pad + "why: ", "dim"), (stage.hint.because, "")])
        if stage.hint.fix:
            lines.append([(pad + "fix: ", "bold green"), (stage.hint.fix, "green")])
    log = list(stage.log) if verbose else list(stage.log)[-6:]
    if log:
        lines.append([(pad + "target's stderr:", "dim")])
        for text in log:
            lines.append([(pad + "  " + text, "dim")])
    if stage.error and verbose:
        lines.append([(pad + "error in the target:", "dim")])
        for text in (stage.error.get("traceback") or stage.error.get("message") or
                     "").splitlines():
            lines.append([(pad + "  " + text, "dim")])
    elif stage.error and stage.error.get("traceback"):
        lines.append([(pad + "(-v shows the traceback in the target)", "dim")])
    return lines


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def facts_line(facts: Dict[str, Any]) -> Optional[str]:
    parts = []
    first, last = facts.get("loss_first"), facts.get("loss_last")
    if _is_number(first) and _is_number(last):
        parts.append("loss %.3f -> %.3f" % (first, last))
    if _is_number(facts.get("accuracy")):
        parts.append("held-out accuracy %.1f%%" % (100 * facts["accuracy"]))
    speed = facts.get("tokens_per_second")
    if _is_number(speed):
        parts.append("{:,.0f} tokens/s".format(speed))
    return ", ".join(parts) or None


def footer_lines(result: SmokeResult) -> List[Line]:
    lines: List[Line] = []
    facts = result.facts
    summary = facts_line(facts)
    if summary:
        lines.append([("  " + summary, "dim")])
    failed = result.failed_stage
    total = " in %.1fs" % result.seconds if result.seconds is not None else ""
    device = facts.get("device")
    counts = result.counts()
    if failed is None:
        note = " (%d with a warning)" % counts["warn"] if counts["warn"] else ""
        lines.append([("Verdict: ", "bold"),
                      ("trains end to end%s" % (" on %s" % device if device else ""),
                       "bold green"),
                      (": %d of %d stages passed%s%s" % (counts["pass"] + counts["warn"],
                                                         len(result.stages), note, total), "")])
    else:
        index = [s.name for s in result.stages].index(failed.name) + 1
        lines.append([("Verdict: ", "bold"), ("broken at %s" % failed.title, "bold red"),
                      (" (stage %d of %d)%s" % (index, len(result.stages), total), "")])
    return lines


def render_smoke_lines(result: SmokeResult, verbose: bool = False) -> List[Line]:
    lines = [header_line(result.python, result.level, result.device_requested,
                         result.python_version)]
    for stage in result.stages:
        lines.extend(stage_lines(stage, verbose))
    lines.extend(footer_lines(result))
    return lines


class LiveDisplay:
    """Shows stages as they finish. On a terminal: a rich progress bar under the finished
    lines; otherwise plain lines, flushed one by one. Nothing is shown for ``--json``."""

    def __init__(self, stream: Optional[TextIO] = None, rich: Optional[bool] = None) -> None:
        self.stream = stream or sys.stdout
        isatty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.rich = isatty if rich is None else rich
        self.colour = use_colour(self.stream)
        self.shown: Set[str] = set()
        self.titles: Dict[str, str] = {}
        self.total = 0
        self._progress: Any = None
        self._task: Any = None

    # -- output helpers
    def _write(self, lines: List[Line]) -> None:
        if self._progress is not None:
            from rich.text import Text

            from envdoctor.console import safe_text  # the target's error text, made visible

            for line in lines:
                text = Text()
                for chunk, style in line:
                    text.append(safe_text(chunk), style=(style or None) if self.colour else None)
                self._progress.console.print(text, highlight=False, soft_wrap=True)
            return
        emit(lines, self.stream)

    # -- the runner's callback
    def __call__(self, kind: str, event: Dict[str, Any]) -> None:
        if kind == "hello":
            stages = event.get("stages") or []
            self.titles = dict((str(n), str(t)) for n, t in stages)
            self.total = len(stages)
            self._write([header_line(str(event.get("executable")), str(event.get("level")),
                                     None, event.get("python"))])
            if self.rich:
                self._start_progress()
        elif kind == "start":
            if self._progress is not None:
                name = str(event.get("stage"))
                self._progress.update(self._task, description=self.titles.get(name, name))
        elif kind == "end":
            name = str(event.get("stage"))
            if name in self.shown:
                return
            self.shown.add(name)
            stage = Stage(name, self.titles.get(name, name), str(event.get("status")),
                          event.get("seconds"), str(event.get("detail") or ""))
            self._write(stage_lines(stage)[:1])
            if self._progress is not None:
                self._progress.advance(self._task)

    def _start_progress(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = Console(file=self.stream, highlight=False, no_color=not self.colour)
        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                  TextColumn("{task.completed}/{task.total}"),
                                  TimeElapsedColumn(), console=console, transient=True)
        self._progress.start()
        self._task = self._progress.add_task("starting", total=self.total)

    def finish(self, result: Optional[SmokeResult], verbose: bool = False) -> None:
        """Stop the bar; show the details of the failed stage, skipped stages, the verdict."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if result is None:
            return
        lines: List[Line] = []
        for stage in result.stages:
            if stage.name not in self.shown or stage.failed:
                body = stage_lines(stage, verbose)
                lines.extend(body[1:] if stage.name in self.shown else body)
        lines.extend(footer_lines(result))
        emit(lines, self.stream)


def render_text(result: SmokeResult, verbose: bool = False) -> str:
    return plain(render_smoke_lines(result, verbose))
