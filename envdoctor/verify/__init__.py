"""Verification harness: ``envdoctor matrix verify`` (maintainers).

Each combination of ``verification/combos.yaml`` (:mod:`envdoctor.verify.combos`) is installed
into a fresh venv and checked there with ``envdoctor check --deep`` and ``envdoctor smoke``
(:mod:`envdoctor.verify.harness`); what happened is written as evidence under
``verification/<id>/`` (:mod:`envdoctor.verify.evidence`) and then, as ``verified`` rules, into
a generated block of ``compat_matrix.yaml`` (:mod:`envdoctor.verify.block`).

envdoctor never imports the frameworks itself: every install and import runs in a child.
"""

import os


def default_workers() -> int:
    """One venv at a time on 2 cores; a MindSpore install is CPU-, disk- and network-heavy.
    (Here, not in the harness, so `envdoctor --help` does not import the harness.)"""
    return max(1, (os.cpu_count() or 2) // 4)
