"""The lab a student really runs, read from its files (issue 11).

:func:`read_lab` reads a notebook, script, requirements file or folder statically into a
:class:`Lab`; :mod:`envdoctor.checks.lab` judges an environment against it; :func:`deep_findings`
imports the lab's own import statements in one child of the target; :func:`notebook_path`
finds the notebook a kernel runs.
"""

from envdoctor.lab.model import (DeviceRequest, EnvSetting, HubFetch, ImportStatement,
                                 InstallItem, InstallLine, Lab, LabFile, LabWarning, Where,
                                 WheelFile)
from envdoctor.lab.reader import LabReadError, read_lab, read_text

__all__ = ["read_lab", "read_text", "LabReadError", "Lab", "LabFile", "LabWarning", "Where",
           "WheelFile", "InstallItem", "InstallLine", "EnvSetting", "ImportStatement",
           "DeviceRequest", "HubFetch", "deep_findings", "notebook_path"]


def deep_findings(python, lab, timeout=180.0):  # type: ignore
    """Import the lab's own import statements, in order, in one child of ``python``."""
    from envdoctor.lab.deep import deep_findings as run

    return run(python, lab, timeout)


def notebook_path(namespace=None, environ=None):  # type: ignore
    """The notebook this kernel runs, when Jupyter or VS Code says; else None."""
    from envdoctor.lab.session import notebook_path as find

    return find(namespace, environ)
