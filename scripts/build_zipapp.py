"""Build ``dist/envdoctor.pyz``: envdoctor and its pure-Python dependencies in one file.

A course ships the file next to its notebooks; a lab runs ``python envdoctor.pyz check``
with any Python 3.7-3.13 and nothing is installed into the lab. The build is reproducible:
the same sources and the same pinned wheels give the same bytes (entries sorted, fixed
timestamps and permissions, fixed compression), so a course can publish its SHA-256.

Dependencies are vendored from wheels downloaded with pip (pinned below, checked against
their SHA-256): packaging and pip-api as they are; PyYAML's pure-Python package without its
C extension (envdoctor falls back to the pure loader). rich is left out: it is only used
for colour on a terminal, and envdoctor prints plain text without it.

At run time the archive unpacks itself once into a private cache folder keyed by its own
hash (the probes are scripts the *target* interpreter runs, so they must be real files),
then runs from there.

    python scripts/build_zipapp.py                     # -> dist/envdoctor.pyz, prints its hash
    python scripts/build_zipapp.py --wheels DIR        # wheels already downloaded (offline)
"""

import argparse
import glob
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Pinned: the newest releases that still install on Python 3.7 (and run on 3.13).
VENDORED = {
    "packaging": ("24.0", "packaging"),
    "pip-api": ("0.0.30", "pip_api"),
    "PyYAML": ("6.0.1", "yaml"),
}
# SHA-256 of the wheels (from PyPI's files, checked on every build).
WHEEL_SHA256 = {
    "packaging-24.0-py3-none-any.whl":
        "2ddfb553fdf02fb784c234c7ba6ccc288296ceabec964ad2eae3777778130bc5",
    "pip_api-0.0.30-py3-none-any.whl":
        "2a0314bd31522eb9ffe8a99668b0d07fee34ebc537931e7b6483001dbedcbdc9",
    "PyYAML-6.0.1-cp37-cp37m-manylinux_2_17_x86_64.manylinux2014_x86_64.whl":
        "baa90d3f661d43131ca170712d903e6295d1f7a0f595074f151c0aed377c9b9c",
}
# The data files a wheel carries under envdoctor/data/ (see pyproject.toml).
DATA = {"compat_matrix.yaml": "envdoctor/data/compat_matrix.yaml",
        "recipes": "envdoctor/data/recipes",
        "api_index.json": "envdoctor/data/api_index.json",
        "signatures.yaml": "envdoctor/data/signatures.yaml"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SHEBANG = b"#!/usr/bin/env python3\n"

# The loader, a top-level module of the archive: `python envdoctor.pyz ...` runs it, and a
# notebook imports it to load envdoctor from the file (checking the file's SHA-256 first).
LOADER = '''"""Load envdoctor from envdoctor.pyz: unpack once into a private cache folder (the
probes are scripts the target interpreter runs, so they must be real files) and import it from
there. In a notebook::

    import sys; sys.path.insert(0, "envdoctor.pyz")
    import envdoctor_pyz
    envdoctor = envdoctor_pyz.load("envdoctor.pyz", sha256="<the hash the course publishes>")
    envdoctor.prelab()
"""
import hashlib
import os
import shutil
import sys
import tempfile
import zipfile

__all__ = ["load", "main"]


def _cache_root():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "envdoctor", "pyz")


def _digest(archive):
    with open(archive, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _unpacked(archive, digest):
    root = _cache_root()
    target = os.path.join(root, digest[:16])
    if os.path.isfile(os.path.join(target, ".complete")):
        return target
    if not os.path.isdir(root):
        os.makedirs(root, mode=0o700)
    work = tempfile.mkdtemp(prefix=".unpack-", dir=root)
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            if name.startswith(("/", "..")) or "/../" in name:
                continue
            zf.extract(name, work)
    open(os.path.join(work, ".complete"), "w").close()
    try:
        os.rename(work, target)
    except OSError:  # another process unpacked it first
        shutil.rmtree(work, ignore_errors=True)
    return target


def load(archive="envdoctor.pyz", sha256=None):
    """envdoctor, imported from ``archive``; with ``sha256``, only if the file has that hash."""
    archive = os.path.abspath(archive)
    digest = _digest(archive)
    if sha256 is not None and digest != sha256.strip().lower():
        raise RuntimeError("%s has SHA-256 %s, not the published %s: not loaded"
                           % (archive, digest, sha256))
    sys.path[:0] = [_unpacked(archive, digest)]
    for name in [m for m in sys.modules if m == "envdoctor" or m.startswith("envdoctor.")]:
        del sys.modules[name]
    import envdoctor

    return envdoctor


def main():
    archive = os.path.abspath(sys.argv[0])
    if not zipfile.is_zipfile(archive):
        archive = os.path.dirname(os.path.abspath(__file__))
    load(archive)
    from envdoctor.cli import main as cli_main

    return cli_main()
'''

MAIN = '''"""envdoctor as a single file: see envdoctor_pyz.py."""
import sys

import envdoctor_pyz

if __name__ == "__main__":
    sys.exit(envdoctor_pyz.main())
'''


def _wheel_files(wheels):
    """(name in the archive, bytes) of each vendored package, from its wheel."""
    out = []
    for dist, (version, package) in sorted(VENDORED.items()):
        pattern = os.path.join(wheels, "%s-%s-*.whl" % (dist.replace("-", "_"), version))
        found = sorted(glob.glob(pattern)) or sorted(glob.glob(pattern.replace(
            dist.replace("-", "_"), dist)))
        if not found:
            raise SystemExit("no wheel for %s %s in %s" % (dist, version, wheels))
        with open(found[0], "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        expected = WHEEL_SHA256.get(os.path.basename(found[0]))
        if digest != expected:
            raise SystemExit("%s: SHA-256 %s is not the pinned %s" % (found[0], digest, expected))
        with zipfile.ZipFile(found[0]) as zf:
            for name in zf.namelist():
                if not name.startswith(package + "/") or name.endswith("/"):
                    continue
                if name.endswith((".so", ".pyd", ".dylib", ".c", ".pyx")):
                    continue  # PyYAML's C extension: the pure loader is used instead
                out.append((name, zf.read(name)))
    return out


def _download(folder):
    """The pinned wheels for the oldest Python envdoctor supports (pure files are the same)."""
    for dist, (version, _) in sorted(VENDORED.items()):
        args = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                "-d", folder, "--python-version", "3.7", "%s==%s" % (dist, version)]
        if dist == "PyYAML":
            args += ["--platform", "manylinux2014_x86_64", "--implementation", "cp",
                     "--abi", "cp37m"]
        subprocess.check_call(args)


def _source_files():
    out = []
    for folder, dirs, files in os.walk(os.path.join(ROOT, "envdoctor")):
        dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "data"))
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(folder, name)
            out.append((os.path.relpath(path, ROOT).replace(os.sep, "/"), path))
    for source, dest in sorted(DATA.items()):
        path = os.path.join(ROOT, source)
        if os.path.isdir(path):
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    full = os.path.join(folder, name)
                    rel = os.path.relpath(full, path).replace(os.sep, "/")
                    out.append((dest + "/" + rel, full))
        else:
            out.append((dest, path))
    return out


def build(wheels, output):
    entries = {}
    for name, path in _source_files():
        with open(path, "rb") as handle:
            entries[name] = handle.read()
    for name, data in _wheel_files(wheels):
        entries[name] = data
    entries["__main__.py"] = MAIN.encode("utf-8")
    entries["envdoctor_pyz.py"] = LOADER.encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, whatever builds it
            zf.writestr(info, entries[name], compresslevel=9)
    data = SHEBANG + buffer.getvalue()
    os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
    with open(output, "wb") as handle:
        handle.write(data)
    os.chmod(output, 0o755)
    return hashlib.sha256(data).hexdigest(), len(entries)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", metavar="DIR", help="folder with the pinned wheels "
                                                        "(default: download them now)")
    parser.add_argument("-o", "--output", default=os.path.join(ROOT, "dist", "envdoctor.pyz"))
    args = parser.parse_args(argv)
    if args.wheels:
        digest, count = build(args.wheels, args.output)
    else:
        with tempfile.TemporaryDirectory() as folder:
            _download(folder)
            digest, count = build(folder, args.output)
    print("%s  %s (%d files)" % (digest, os.path.relpath(args.output), count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
