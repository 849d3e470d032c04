"""envdoctor.render.json: the report's data, with or without the snapshot."""

import json

import synthetic
from envdoctor.render.json import render_json
from envdoctor.report import Report


def test_json_carries_the_snapshot_unless_told_not_to():
    report = Report(synthetic.student(), (), None)
    data = json.loads(render_json(report))
    assert data["snapshot"] == synthetic.student_data()
    assert data["summary"]["verdict"] == "healthy" and data["environment"]["devices"]
    assert "snapshot" not in json.loads(render_json(report, include_snapshot=False))
