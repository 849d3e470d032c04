"""What a long step of the pipeline is doing, for whoever shows it (pip-audit's ``AuditState``).

Its own small module, with no imports, so a front end can subclass it without loading the
pipeline (the CLI's start-up stays light).
"""

from typing import Any, Dict

__all__ = ["Progress"]


class Progress:
    """Receives what a long step is doing; this one ignores it. The CLI writes it to stderr,
    the notebook into the cell."""

    def update(self, message: str) -> None:
        """A step began, e.g. ``"importing the lab's modules in /lab/bin/python ..."``."""

    def smoke_event(self, kind: str, event: Dict[str, Any]) -> None:
        """One event of a smoke train (``start``/``end`` of a stage, ``log``, ...)."""
