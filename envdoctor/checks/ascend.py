"""Ascend fit: the installed MindSpore against the CANN toolkit and NPU driver the device
probe found, by the documented pairings of :mod:`envdoctor.ascend` (ED531-ED549).

The compiler-version check of MindSpore's own AscendEnvChecker is ED512 (checks/devices.py);
this one speaks in release names (CANN 8.0.RC3, driver 24.1.RC3) and only where ED512 says
nothing, and adds the driver and the Python the release was published for.
"""

from typing import List, Optional

from envdoctor.ascend import Fit, Pairing, assess, on_pypi
from envdoctor.checks.context import CheckContext
from envdoctor.findings import Evidence, Finding, Fix, Severity, pip_install_command

__all__ = ["check"]


def _sources(*rows: Optional[Pairing]) -> str:
    seen = []  # type: List[str]
    for row in rows:
        for source in row.sources if row is not None else ():
            if source not in seen:
                seen.append(source)
    return "; ".join(seen)


def _release_for(row: Pairing) -> str:
    """An installable version of a release line: "2.4.1" for ("2.4.0", "2.4.1"), "2.6.0"
    for "2.6"."""
    last = row.releases[-1]
    return last if last.count(".") >= 2 else last + ".0"


def _switch_fix(context: CheckContext, fit: Fit, mindspore: str) -> Fix:
    """Install the CANN the MindSpore was made for, or the MindSpore made for the CANN."""
    row = fit.pairing
    wanted = []
    if row is not None and row.cann:
        wanted.append("install CANN %s (community edition %s.beta1)%s for MindSpore %s"
                      % (row.cann, row.cann, " with the Ascend HDK driver %s or newer"
                         % row.driver if row.driver else "", mindspore))
    command = None
    requirements = ()  # type: tuple
    if fit.alternatives:
        alt = fit.alternatives[0]
        version = _release_for(alt)
        if on_pypi(alt):
            command = pip_install_command(["mindspore==%s" % version], context.python)
            requirements = ("mindspore==%s" % version,)
            wanted.append("or keep CANN %s and install MindSpore %s (the command)"
                          % (fit.cann, version))
        else:
            wanted.append("or keep CANN %s and install the MindSpore %s wheel for this Python "
                          "and machine from https://www.mindspore.cn/versions (it is not on "
                          "PyPI)" % (fit.cann, version))
    text = "; ".join(wanted)
    return Fix(command=command, text=text[:1].upper() + text[1:] + ".",
               requirements=requirements)


def check(context: CheckContext) -> List[Finding]:
    from envdoctor.devices import device_data

    if device_data(context.snapshot) is None:
        return []
    a = context.devices  # analysed once per diagnosis
    if not a.mindspore_installed or not a.mindspore_version:
        return []
    if not a.has_npu and a.toolkit is None:
        return []  # no Ascend here: nothing to fit
    toolkit = a.toolkit or {}
    fit = assess(a.mindspore_version, context.snapshot.python_version, toolkit.get("release"),
                 a.ascend_driver)
    ms = a.mindspore_version
    row = fit.pairing
    findings = []  # type: List[Finding]
    if row is None or not row.cann:
        findings.append(Finding(
            code="ED535", severity=Severity.INFO,
            title="No documented CANN pairing for MindSpore %s" % ms,
            because="envdoctor's table (MindSpore's install pages and MindSpore Transformers' "
                    "version history) has no CANN and driver release for this MindSpore line; "
                    "only the compiler versions its AscendEnvChecker accepts can be compared "
                    "(ED512).",
            evidence=Evidence(installed="MindSpore %s; CANN %s; driver %s" % (
                ms, fit.cann or "unknown", fit.driver or "unknown"),
                source=_sources(row) or "envdoctor/ascend.py PAIRINGS"),
            packages=("mindspore",),
        ))
        return findings
    compiler_checked = bool(a.accepted_cann and a.cann_compiler)
    if fit.cann_fits is False and not compiler_checked:
        others = ", ".join(r.label for r in fit.alternatives) or "no MindSpore release in the table"
        findings.append(Finding(
            code="ED531", severity=Severity.WARNING,
            title="CANN %s is not the CANN MindSpore %s is published for (%s)"
                  % (fit.cann, ms, row.cann),
            because="Each MindSpore release is built against one CANN release (%s for %s); "
                    "with another, `import mindspore` works but setting the Ascend device can "
                    "fail with undefined symbols or operators missing. CANN %s is documented "
                    "with: %s." % (row.cann, row.label, fit.cann, others),
            evidence=Evidence(installed="CANN %s at %s" % (fit.cann, toolkit.get("path") or "?"),
                              needed="CANN %s" % row.cann,
                              source=_sources(row, *fit.alternatives)),
            fix=_switch_fix(context, fit, ms),
            packages=("mindspore",),
        ))
    if fit.driver_fits is False:
        findings.append(Finding(
            code="ED532", severity=Severity.WARNING,
            title="Ascend driver %s is older than the %s that CANN %s needs"
                  % (fit.driver, fit.driver_needed, fit.cann or row.cann),
            because="CANN runs on the NPU driver and firmware of its own Ascend HDK release or "
                    "a newer one; an older driver makes device initialisation fail "
                    "(aclInit / rtGetDevice errors) although `npu-smi info` looks healthy.",
            evidence=Evidence(installed="driver %s" % fit.driver,
                              needed="driver %s or newer" % fit.driver_needed,
                              source=_sources(row, *fit.alternatives)),
            fix=Fix(text="Upgrade the Ascend HDK (npu-driver and npu-firmware) to %s or newer "
                         "(a machine administrator's job: it needs root and a reboot), or use "
                         "an older CANN and MindSpore pair that this driver supports."
                         % fit.driver_needed),
            packages=("mindspore",),
        ))
    if fit.python_fits is False:
        findings.append(Finding(
            code="ED533", severity=Severity.WARNING,
            title="MindSpore %s for Ascend is published for Python %s, not %s"
                  % (ms, row.python, context.snapshot.python_version),
            because="The Ascend wheels of this release exist for those Pythons only; a wheel "
                    "for another Python came from elsewhere (a mislabelled or rebuilt wheel) "
                    "and is not what MindSpore tested with CANN %s." % row.cann,
            evidence=Evidence(installed="Python %s" % context.snapshot.python_version,
                              needed="Python %s" % row.python, source=_sources(row)),
            fix=Fix(text="Create the environment with a Python in %s." % row.python),
            packages=("mindspore",),
        ))
    if not findings and fit.cann_fits and fit.driver_fits is not False:
        findings.append(Finding(
            code="ED534", severity=Severity.INFO,
            title="MindSpore %s, CANN %s and driver %s are a documented set"
                  % (ms, fit.cann, fit.driver or "unknown"),
            because="%s is published for CANN %s and the Ascend HDK %s%s." % (
                row.label, row.cann, row.driver or "?",
                " (%s)" % row.solution if row.solution else ""),
            evidence=Evidence(installed="CANN %s; driver %s" % (fit.cann, fit.driver or "?"),
                              needed="CANN %s; driver %s or newer" % (row.cann, row.driver),
                              source=_sources(row)),
            packages=("mindspore",),
        ))
    return findings
