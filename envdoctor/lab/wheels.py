"""Does a wheel's file name fit a target? Judged from the snapshot (its Python and platform),
never by asking pip in the target: a scan of a course must not run anything."""

from typing import Optional, Tuple

from envdoctor.lab.model import WheelFile

__all__ = ["target_of", "tag_fits", "wheel_misfit", "Target"]

Target = Tuple[str, Tuple[int, int], str, str]  # (implementation 'cp', (3, 10), system, arch)

_ARCH = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64",
         "x86_64": "x86_64", "i386": "i686", "i686": "i686", "x86": "i686"}


def target_of(python_version: str, implementation: str, system: str, machine: str) -> Target:
    parts = (python_version or "0.0").split(".")
    try:
        minor = (int(parts[0]), int(parts[1]))
    except (IndexError, ValueError):
        minor = (0, 0)
    impl = {"cpython": "cp", "pypy": "pp"}.get((implementation or "cpython").lower(), "cp")
    return impl, minor, (system or "").lower(), _ARCH.get((machine or "").lower(),
                                                         (machine or "").lower())


def _python_fits(interpreter: str, abi: str, target: Target) -> bool:
    impl, (major, minor), _, _ = target
    if interpreter.startswith("py"):
        digits = interpreter[2:]
        return digits == str(major) or (digits[:1] == str(major) and digits[1:].isdigit()
                                        and int(digits[1:]) <= minor)
    if interpreter.startswith(impl):
        digits = interpreter[len(impl):]
        if not digits[:1] == str(major) or not digits[1:].isdigit():
            return False
        if abi == "abi3":
            return int(digits[1:]) <= minor
        return int(digits[1:]) == minor
    return False


def _platform_arch(platform: str) -> str:
    """``manylinux_2_17_aarch64`` -> ``aarch64``; ``win_amd64`` -> ``x86_64``."""
    for arch in ("x86_64", "aarch64", "arm64", "amd64", "i686", "universal2", "armv7l",
                 "ppc64le", "s390x", "win32"):
        if platform == arch or platform.endswith("_" + arch):
            return _ARCH.get(arch, arch)
    return platform


def _platform_fits(platform: str, target: Target) -> bool:
    _, _, system, arch = target
    if platform == "any":
        return True
    own = _platform_arch(platform)
    if system == "linux":
        return platform.startswith(("linux_", "manylinux", "musllinux")) and own == arch
    if system == "darwin":
        return platform.startswith("macosx_") and own in (arch, "universal2")
    if system == "windows":
        return platform.startswith("win") and (own == arch or (platform == "win32"
                                                               and arch == "i686"))
    return False


def tag_fits(tag: str, target: Target) -> bool:
    interpreter, abi, platform = tag.split("-")
    return _python_fits(interpreter, abi, target) and _platform_fits(platform, target)


def wheel_misfit(wheel: WheelFile, target: Target) -> Optional[str]:
    """None when some tag of the wheel fits; else what it is built for."""
    if any(tag_fits(t, target) for t in wheel.tags):
        return None
    return "built for %s on %s" % (", ".join(wheel.pythons), ", ".join(wheel.platforms))
