"""``envdoctor smoke``: train a bundled toy GPT in the target environment, stage by stage.

- :mod:`~envdoctor.smoke.corpus`: the sentiment corpus, generated from a seed;
- :mod:`~envdoctor.smoke.runner`: runs ``probes/lab_smoke.py`` in the target interpreter;
- :mod:`~envdoctor.smoke.result`: what happened, as data;
- :mod:`~envdoctor.smoke.hints`: why a stage failed and how to fix it;
- :mod:`~envdoctor.smoke.render`: text, JSON and the live display;
- :mod:`~envdoctor.smoke.findings`: a smoke result as ``check`` findings.
"""
