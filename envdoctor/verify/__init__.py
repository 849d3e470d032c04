"""Verification harness: ``envdoctor matrix verify`` (maintainers).

Each combination of ``verification/combos.yaml`` (:mod:`envdoctor.verify.combos`) is installed
into a fresh venv and checked there with ``envdoctor check --deep`` and ``envdoctor smoke``
(:mod:`envdoctor.verify.harness`); what happened is written as evidence under
``verification/<id>/`` (:mod:`envdoctor.verify.evidence`) and then, as ``verified`` rules, into
a generated block of ``compat_matrix.yaml`` (:mod:`envdoctor.verify.block`).

envdoctor never imports the frameworks itself: every install and import runs in a child.
"""
