"""What ``envdoctor explain`` says about one recognised problem, as data."""

from dataclasses import dataclass, replace
from typing import Any, Dict, Optional, Tuple

__all__ = ["Explanation", "KIND_RANK"]

# Which explanation wins when two explain the same line (lower first): what envdoctor ran or
# read in a wheel beats a generic reading of the message.
KIND_RANK = {"matrix": 0, "signature": 1, "api-index": 2, "pip-conflict": 3, "pip-missing": 3,
             "module": 4}


@dataclass(frozen=True)
class Explanation:
    title: str
    because: str  # the cause, one sentence
    packages: Tuple[str, ...]
    fix: Optional[str]  # a command to run; None when no command fixes it
    source: str  # a link, or "verified: ...", "declared: ...", "api index: ..."
    kind: str  # matrix | signature | api-index | pip-conflict | pip-missing | module
    id: Optional[str] = None  # the matrix rule or signature id
    note: Optional[str] = None  # advice beyond (or instead of) the command
    evidence: Tuple[str, ...] = ()  # facts behind it: index versions, frames, other matches
    line: Optional[str] = None  # the input line it explains
    line_number: Optional[int] = None

    @property
    def rank(self) -> int:
        return KIND_RANK.get(self.kind, 9)

    def with_evidence(self, *facts: str) -> "Explanation":
        new = tuple(f for f in facts if f and f not in self.evidence)
        return replace(self, evidence=self.evidence + new) if new else self

    def to_dict(self) -> Dict[str, Any]:
        return {
            "title": self.title,
            "because": self.because,
            "packages": list(self.packages),
            "fix": self.fix,
            "source": self.source,
            "kind": self.kind,
            "id": self.id,
            "note": self.note,
            "evidence": list(self.evidence),
            "line": self.line,
            "line_number": self.line_number,
        }
