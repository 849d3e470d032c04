"""Synthetic snapshots for the unit tests: plain data through ``Snapshot.from_dict``, the same
boundary a saved ``envdoctor snapshot -o`` file crosses."""

import copy
import json
import os
from typing import Any, Dict

from envdoctor.snapshot import Snapshot

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
# A student's venv (written in the probe's format): Python 3.9, MindSpore 2.2.14,
# transformers 4.35.0 with a tokenizers it does not accept, a T4 whose driver library the
# container lacks.
STUDENT = os.path.join(DATA, "student-t4.json")


def student_data() -> Dict[str, Any]:
    with open(STUDENT, encoding="utf-8") as handle:
        return json.load(handle)


def student() -> Snapshot:
    return Snapshot.from_dict(student_data())


def snapshot(python: str = "3.11.7", devices: Any = None, **dists: str) -> Snapshot:
    """A small snapshot: the interpreter, Linux x86_64, the distributions given."""
    data = {"schema": 1, "interpreter": {"version": python, "executable": "/x/bin/python",
                                         "prefix": "/x", "is_venv": True},
            "platform": {"system": "Linux", "machine": "x86_64"},
            "marker_environment": {"python_version": ".".join(python.split(".")[:2]),
                                   "sys_platform": "linux"},
            "pip": "24.0",
            "distributions": [{"name": "pip", "version": "24.0"}] + [
                {"name": n.replace("_", "-"), "version": v} for n, v in dists.items()]}
    if devices is not None:
        data["devices"] = copy.deepcopy(devices)
    return Snapshot.from_dict(data)
