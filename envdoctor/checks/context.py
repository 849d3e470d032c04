"""What every check reads: the snapshot and the knowledge it is judged against.

In its own module (re-exported by :mod:`envdoctor.checks`) so that the check modules import it
without importing their own package's ``__init__`` back: no import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

from envdoctor.devices import DeviceAnalysis, analyze
from envdoctor.matrix import Matrix
from envdoctor.recipes import Recipe
from envdoctor.snapshot import Snapshot

__all__ = ["CheckContext", "RequirementLine"]

# (file, name, specifier, marker) of one line of a ``-r`` requirements file
RequirementLine = Tuple[str, str, str, str]


@dataclass(frozen=True)
class CheckContext:
    """One environment and what it is held to; built once per diagnosis by
    :func:`envdoctor.api.diagnose` and given to every check."""

    snapshot: Snapshot
    matrix: Optional[Matrix] = None
    recipe: Optional[Recipe] = None
    requirement_lines: Tuple[RequirementLine, ...] = ()
    # What the lab itself uses (read from its notebook by envdoctor.lab); None: not read.
    lab: object = None
    # The device analysis, when the caller computed it already (diagnose does, once).
    device_analysis: Optional[DeviceAnalysis] = field(default=None, compare=False, repr=False)

    @property
    def python(self) -> str:
        """The target interpreter, for exact fix commands."""
        return self.snapshot.interpreter.executable or "python"

    @property
    def devices(self) -> DeviceAnalysis:
        """The device analysis of the snapshot: the one given, or computed here once."""
        if self.device_analysis is None:
            object.__setattr__(self, "device_analysis", analyze(self.snapshot))
        assert self.device_analysis is not None
        return self.device_analysis
