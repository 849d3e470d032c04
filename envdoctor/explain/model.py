"""What ``envdoctor explain`` says about one recognised problem, as data.

An :class:`Explanation` is a view of a :class:`~envdoctor.findings.Finding` (code ED401-ED409)
that keeps what explain needs while it merges candidates: the fix as the command shown,
the kind of knowledge that produced it, the input line. :meth:`Explanation.finding` gives
the finding that ``--deep``, smoke and the JSON share.
"""

from dataclasses import dataclass, replace
from typing import Any, Dict, Optional, Tuple

from envdoctor.findings import Evidence, Finding, Fix, finding

__all__ = ["Explanation", "KIND_RANK", "KIND_CODES", "KIND_CONFIDENCE"]

# Which explanation wins when two explain the same line (lower first): what envdoctor ran or
# read in a wheel beats a generic reading of the message, and any reading beats a guess.
KIND_RANK = {"shadow": 0, "device": 0, "matrix": 0, "signature": 1, "api-index": 2,
             "names": 2, "loader": 3,
             "pip-install": 3, "pip-conflict": 3, "pip-missing": 3, "ascend": 3, "module": 4,
             "guess": 9}
# The finding code of each kind of knowledge (documented in envdoctor.findings.CODES).
KIND_CODES = {"signature": "ED401", "matrix": "ED402", "api-index": "ED403", "names": "ED403",
              "pip-conflict": "ED404", "pip-missing": "ED404", "module": "ED405",
              "loader": "ED406", "pip-install": "ED407", "ascend": "ED408", "guess": "ED409",
              "shadow": "ED405", "device": "ED406"}
# exact: this very text was seen and explained (a signature, a matrix rule's recorded error);
# mechanism: envdoctor read the text (a soname, a wheel tag, a name) and reasoned from it.
KIND_CONFIDENCE = {"signature": "exact", "matrix": "exact", "guess": "guess"}


@dataclass(frozen=True)
class Explanation:
    title: str
    because: str  # the cause, one sentence
    packages: Tuple[str, ...]  # every package the fix moves, and the one that failed
    fix: Optional[str]  # a command to run; None when no command fixes it
    source: str  # a link, or "verified: ...", "declared: ...", "api index: ..."
    kind: str  # matrix | signature | api-index | names | loader | pip-* | ascend | module | guess
    id: Optional[str] = None  # the matrix rule or signature id
    note: Optional[str] = None  # advice beyond (or instead of) the command
    evidence: Tuple[str, ...] = ()  # facts behind it: index versions, frames, other matches
    line: Optional[str] = None  # the input line it explains
    line_number: Optional[int] = None
    requirements: Tuple[str, ...] = ()  # the pins the fix command installs
    no_fix_reason: Optional[str] = None  # why no command is given, and what to look at

    @property
    def rank(self) -> int:
        return KIND_RANK.get(self.kind, 9)

    @property
    def code(self) -> str:
        return KIND_CODES.get(self.kind, "ED401")

    @property
    def confidence(self) -> str:
        return KIND_CONFIDENCE.get(self.kind, "mechanism")

    @property
    def reason_without_fix(self) -> Optional[str]:
        """Why there is no command: the stated reason, else the advice, else a sentence."""
        if self.fix:
            return None
        if self.no_fix_reason:
            return self.no_fix_reason
        if self.note:
            return "No single command fixes this here; " + self.note[0].lower() + self.note[1:]
        return "envdoctor knows the cause but not a command that fixes it in every setup."

    def with_evidence(self, *facts: str) -> "Explanation":
        new = tuple(f for f in facts if f and f not in self.evidence)
        return replace(self, evidence=self.evidence + new) if new else self

    def finding(self) -> Finding:
        """The same diagnosis as a :class:`Finding` (what --deep and smoke carry)."""
        fix = Fix(command=self.fix, text=self.note, requirements=self.requirements) \
            if self.fix or self.note else None
        where = "line %d: %s" % (self.line_number, self.line) if self.line_number and self.line \
            else self.line
        return finding(self.code, self.title, self.because,
                       evidence=Evidence(source=self.source, details=(
                           ("evidence", "; ".join(self.evidence)),) if self.evidence else ()),
                       fix=fix, packages=self.packages, source=self.source,
                       confidence=self.confidence, no_fix_reason=self.reason_without_fix,
                       location=where)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "because": self.because,
            "packages": list(self.packages),
            "fix": self.fix,
            "no_fix_reason": self.reason_without_fix,
            "requirements": list(self.requirements),
            "confidence": self.confidence,
            "source": self.source,
            "kind": self.kind,
            "id": self.id,
            "note": self.note,
            "evidence": list(self.evidence),
            "line": self.line,
            "line_number": self.line_number,
        }
