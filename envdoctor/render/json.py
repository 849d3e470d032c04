"""JSON output: everything the text shows, and the snapshot, for machines and other tools."""

import json as _json

from envdoctor.report import Report

__all__ = ["render_json"]


def render_json(report: Report, include_snapshot: bool = True) -> str:
    return _json.dumps(report.to_dict(include_snapshot=include_snapshot), indent=2)
