"""Snapshot probe: run by the *target* interpreter, writes one JSON document.

``snapshot_probe.py --output FILE`` writes it to FILE (what envdoctor does: the target's own
stdout may carry banners from sitecustomize, .pth files or wrapper scripts); without it the
document goes to stdout.

Standard library only, and it must stay importable by CPython 3.7: this file runs inside
environments envdoctor is diagnosing, which may be broken in any way. It never imports a
third-party module; distribution metadata is read straight from the ``*.dist-info`` and
``*.egg-info`` directories on ``sys.path`` (importlib.metadata is 3.8+ only).
"""

import json
import os
import platform
import re
import sys
import sysconfig
import time

SCHEMA = 1

# Environment variables that change how MindSpore, MindNLP, pip or the device stack behave.
ENV_NAMES = (
    "CUDA_HOME", "CUDA_PATH", "CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "LD_PRELOAD", "PATH",
    "HF_ENDPOINT", "HF_HOME", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE",
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_TRUSTED_HOST",
    "PIP_CONSTRAINT", "PIP_REQUIRE_VIRTUALENV", "PIP_CONFIG_FILE", "PIP_USER",
    "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "VIRTUAL_ENV", "CONDA_PREFIX",
    "CONDA_DEFAULT_ENV", "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "TOKENIZERS_PARALLELISM",
    "RANK_TABLE_FILE", "DEVICE_ID", "JUPYTER_SERVER_ROOT", "COLAB_GPU", "MA_HOME",
    "OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "GLOG_v",
)
ENV_PREFIXES = ("ASCEND_", "MS_", "MINDSPORE_", "NPU_", "CANN_")
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL")
# Compiled extensions whose target architecture we record (the mis-tagged aarch64 wheels).
ARCH_PACKAGES = ("mindspore",)


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


# PEP 508 names: letters, digits, ".", "_", "-", beginning and ending with a letter or digit.
# A Name with a newline, a space or a leading "-" ("--find-links http://host/" on a folded
# second line) could become an option in a requirements file: such entries are set aside.
VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def _basic_redact(name, value):
    if any(word in name.upper() for word in SECRET_WORDS):
        return "<redacted>"
    # user:password@host in index URLs
    return re.sub(r"(://[^/:@\s]+):[^@/\s]+@", r"\1:<redacted>@", value)


# The redaction rules live in a sibling, redact.py, when this folder has one (helper
# "safety"'s rules: URL userinfo, query tokens, *_AK / *_SK names); else the basic rule above.
try:  # imported as envdoctor.probes.snapshot_probe (host tests)
    from .redact import redact
except ImportError:
    try:  # run by the target from this folder
        from redact import redact
    except ImportError:
        redact = _basic_redact


def environment_variables():
    found = {}
    for name, value in os.environ.items():
        if name in ENV_NAMES or name.startswith(ENV_PREFIXES):
            found[name] = redact(name, value)
    return found


def marker_environment():
    # The same keys packaging.markers.default_environment() computes, but for *this* interpreter.
    impl = sys.implementation
    info = impl.version
    version = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return {
        "implementation_name": impl.name,
        "implementation_version": version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def read_headers(path):
    """Read the RFC 822 header block of a METADATA / PKG-INFO file (the body can be huge)."""
    headers = []
    with open(path, "rb") as handle:
        last = None
        for raw in handle:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                break
            if line[0] in " \t" and last is not None:
                headers[-1] = (headers[-1][0], headers[-1][1] + "\n" + line.strip())
                continue
            name, sep, value = line.partition(":")
            if not sep:
                continue
            last = name.strip()
            headers.append((last, value.strip()))
    return headers


def requires_txt_to_dist(text):
    """Convert setuptools' requires.txt (``[extra:marker]`` sections) to Requires-Dist lines."""
    out = []
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        extra, _, marker = section.partition(":")
        conditions = []
        if extra:
            conditions.append('extra == "%s"' % extra)
        if marker:
            conditions.append("(%s)" % marker if extra else marker)
        if conditions:
            if ";" in line:
                line, own = line.split(";", 1)
                conditions.append("(%s)" % own.strip())
            line = "%s; %s" % (line.strip(), " and ".join(conditions))
        out.append(line)
    return out


def read_text(path):
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except (OSError, IOError):
        return None


def extension_archs(meta_dir, name):
    """Architectures named by the package's compiled extensions, from its RECORD."""
    record = read_text(os.path.join(meta_dir, "RECORD"))
    if not record:
        return []
    archs = set()
    for line in record.splitlines():
        path = line.split(",", 1)[0]
        match = re.search(r"\.cpython-\d+[a-z]*-([a-z0-9_]+)-(linux-gnu|darwin)\.so$", path)
        if match and "/_c_expression" in "/" + path:
            archs.add(match.group(1))
        elif path.endswith(".pyd") and "_c_expression" in path:
            archs.add("win_amd64" if "win_amd64" in path else "windows")
    return sorted(archs)


def _module_name(component):
    """"six.py" -> "six", "_ext.cpython-311-x86_64-linux-gnu.so" -> "_ext", "pkg" -> "pkg";
    None for what is not importable (foo.pth, foo-1.0.data, foo.libs)."""
    if component.endswith((".py", ".so", ".pyd")):
        component = component.split(".", 1)[0]
    elif "." in component:
        return None
    return component if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", component) else None


# The first component of each RECORD path: "pkg/..." (a folder) or "mod.py," (a file). One
# regex over the whole text: RECORDs run to 14,000 lines (mindspore), and a loop in Python
# over every line tripled the probe's time.
_RECORD_FIRST = re.compile(r'^"?([^/\\\n,"]+)(?:[/\\]|(,))', re.M)


def record_top_level(record):
    """The top-level packages and modules a RECORD installs: the first component of each
    path, leaving out metadata, byte-code caches and what lies outside site-packages (paths
    starting with ../ or /)."""
    found = set()
    for first, is_file in set(_RECORD_FIRST.findall(record)):
        if first in ("..", ".", "__pycache__", "bin", "Scripts"):
            continue
        if is_file and not first.endswith((".py", ".so", ".pyd")):
            continue  # LICENSE, foo.pth, a stray .pyc
        name = _module_name(first)  # None for foo-1.0.dist-info, foo.libs
        if name:
            found.add(name)
    return sorted(found)


def top_level(meta_dir, is_dist_info):
    """What a distribution puts at the top of site-packages: its top_level.txt when it has
    one (setuptools writes it; cheap), else the first path components of its RECORD (wheels
    from other build backends have no top_level.txt)."""
    if not os.path.isdir(meta_dir):
        return []
    text = read_text(os.path.join(meta_dir, "top_level.txt"))
    if text and text.strip():
        names = set(line.strip().replace("\\", "/").split("/", 1)[0]
                    for line in text.splitlines())
        return sorted(n for n in names if n)
    if is_dist_info:
        record = read_text(os.path.join(meta_dir, "RECORD"))
        if record:
            return record_top_level(record)
    return []


def metadata_fields(meta_file):
    """(first value of each header by lower-case name, Requires-Dist list, Provides-Extra list)."""
    fields = {}
    requires = []
    extras = []
    for key, value in read_headers(meta_file):
        low = key.lower()
        if low == "requires-dist":
            requires.append(value)
        elif low == "provides-extra":
            extras.append(value)
        elif low not in fields:
            fields[low] = value
    return fields, requires, extras


def name_and_version(meta_dir, fields):
    """Name and Version from the metadata, else from the folder name (foo-1.0.dist-info)."""
    parts = os.path.basename(meta_dir).rsplit(".", 1)[0].split("-")
    name = fields.get("name") or parts[0]
    version = fields.get("version")
    if version is None:
        version = parts[1] if len(parts) > 1 else ""
    return name, version


def installer_facts(meta_dir):
    """INSTALLER and direct_url.json of a .dist-info folder."""
    installer = read_text(os.path.join(meta_dir, "INSTALLER"))
    text = read_text(os.path.join(meta_dir, "direct_url.json"))
    direct = None
    if text:
        try:
            direct = json.loads(text)
        except ValueError:
            direct = {"invalid": text[:200]}
    return (installer.strip() if installer else None), direct


def read_distribution(entry, meta_dir):
    is_dist_info = meta_dir.endswith(".dist-info")
    if os.path.isdir(meta_dir):
        meta_file = os.path.join(meta_dir, "METADATA" if is_dist_info else "PKG-INFO")
    else:  # a bare PKG-INFO-style .egg-info file
        meta_file = meta_dir
    fields, requires, extras = metadata_fields(meta_file)
    if not is_dist_info and os.path.isdir(meta_dir) and not requires:
        text = read_text(os.path.join(meta_dir, "requires.txt"))
        if text:
            requires = requires_txt_to_dist(text)
    name, version = name_and_version(meta_dir, fields)
    dist = {
        "name": name,
        "canonical_name": canonical(name),
        "version": version,
        "requires_dist": requires,
        "requires_python": fields.get("requires-python"),
        "provides_extra": extras,
        "location": entry,
        "metadata_path": meta_dir,
        "metadata_format": "dist-info" if is_dist_info else "egg-info",
        "installer": None,
        "direct_url": None,
        "top_level": top_level(meta_dir, is_dist_info),
    }
    if is_dist_info:
        dist["installer"], dist["direct_url"] = installer_facts(meta_dir)
        if dist["canonical_name"] in ARCH_PACKAGES:
            dist["extension_archs"] = extension_archs(meta_dir, dist["canonical_name"])
    return dist


def iter_meta_dirs(entry):
    try:
        names = sorted(os.listdir(entry))
    except (OSError, IOError):
        return
    for name in names:
        if name.endswith(".dist-info") or name.endswith(".egg-info"):
            yield os.path.join(entry, name)
        elif name.endswith(".egg"):
            egg_info = os.path.join(entry, name, "EGG-INFO")
            if os.path.isdir(egg_info):
                yield egg_info


def distributions():
    """Every distribution on sys.path; the first of each name wins, as for importers and pip.

    Returns (distributions, metadata problems, invalid): entries whose Name is not a valid
    name go to ``invalid`` as {"path", "name"} and nowhere else."""
    seen = {}
    out = []
    problems = []
    invalid = []
    for entry in sys.path:
        if not entry:
            entry = os.getcwd()
        if not os.path.isdir(entry):
            continue
        if entry.endswith(".egg") and os.path.isdir(os.path.join(entry, "EGG-INFO")):
            metas = [os.path.join(entry, "EGG-INFO")]
        else:
            metas = list(iter_meta_dirs(entry))
        for meta in metas:
            try:
                dist = read_distribution(entry, meta)
            except Exception as exc:  # a broken metadata file is a finding, not a crash
                problems.append({"path": meta, "error": "%s: %s" % (type(exc).__name__, exc)})
                continue
            if not VALID_NAME.match(dist["name"]):
                invalid.append({"path": meta, "name": dist["name"][:200]})
                continue
            if dist["metadata_path"].endswith("EGG-INFO"):
                dist["location"] = os.path.dirname(entry) if entry.endswith(".egg") else entry
            key = dist["canonical_name"]
            if key in seen:
                dist["shadowed_by"] = seen[key]
            else:
                seen[key] = meta
                dist["shadowed_by"] = None
            out.append(dist)
    return out, problems, invalid


def libc():
    try:
        name, version = platform.libc_ver()
    except Exception:
        return None
    if not name:
        return None
    return {"name": name, "version": version}


def interpreter():
    base_prefix = getattr(sys, "base_prefix", sys.prefix)
    real_prefix = getattr(sys, "real_prefix", None)
    paths = sysconfig.get_paths()
    purelib = paths.get("purelib")
    try:
        import site  # stdlib

        user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
        user_enabled = bool(site.ENABLE_USER_SITE)
    except Exception:
        user_site, user_enabled = None, False
    return {
        "version": platform.python_version(),
        "version_info": list(sys.version_info[:3]),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": base_prefix,
        "is_venv": sys.prefix != base_prefix or real_prefix is not None,
        "is_conda": os.path.isdir(os.path.join(sys.prefix, "conda-meta")),
        "conda_env": os.environ.get("CONDA_DEFAULT_ENV"),
        "purelib": purelib,
        "platlib": paths.get("platlib"),
        "scripts": paths.get("scripts"),
        "purelib_writable": bool(purelib) and os.access(purelib, os.W_OK),
        "user_site": user_site,
        "user_site_enabled": user_enabled,
        "sys_path": [p for p in sys.path],
        "bits": 64 if sys.maxsize > 2 ** 32 else 32,
    }


def write_private(path, text):
    """Write ``text`` to ``path`` readable by this user only, whole or not at all (a probe
    killed half-way leaves no half document behind)."""
    part = path + ".part"
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(part, path)


def output_path(argv):
    """The FILE of ``--output FILE`` (or ``--output=FILE``), else None: print to stdout."""
    for i, arg in enumerate(argv):
        if arg == "--output" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--output="):
            return arg[len("--output="):]
    return None


def main(argv=None):
    started = time.time()
    output = output_path(sys.argv[1:] if argv is None else argv)
    # Running this file puts its own folder first on sys.path; that folder is envdoctor's,
    # not the target's, so it must not show up in the snapshot.
    here = os.path.dirname(os.path.abspath(__file__))
    # --- devices (envdoctor/probes/device_probe.py): imported from this folder before it
    # leaves sys.path; a failure there must never break the snapshot.
    try:
        import device_probe
    except Exception as exc:
        device_probe = None
        device_error = "device probe not importable: %s: %s" % (type(exc).__name__, exc)
    # --- end devices
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    dists, problems, invalid = distributions()
    pip_version = None
    for dist in dists:
        if dist["canonical_name"] == "pip" and dist["shadowed_by"] is None:
            pip_version = dist["version"]
    snapshot = {
        "schema": SCHEMA,
        "kind": "envdoctor-snapshot",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "interpreter": interpreter(),
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "libc": libc(),
            "sysconfig_platform": sysconfig.get_platform(),
        },
        "marker_environment": marker_environment(),
        "pip": pip_version,
        "distributions": dists,
        "metadata_problems": problems,
        "invalid_distributions": invalid,
        "environment_variables": environment_variables(),
        "devices": None,  # filled below (device_probe.collect)
        "probe_seconds": None,
    }
    # --- devices
    if device_probe is not None:
        try:
            snapshot["devices"] = device_probe.collect()
        except Exception as exc:
            snapshot["devices"] = {"schema": 1, "errors": [
                "device probe failed: %s: %s" % (type(exc).__name__, exc)]}
    else:
        snapshot["devices"] = {"schema": 1, "errors": [device_error]}
    # --- end devices
    snapshot["probe_seconds"] = round(time.time() - started, 4)
    out = json.dumps(snapshot)
    if output:
        write_private(output, out)
    else:
        sys.stdout.write(out)
        sys.stdout.flush()
    # --- devices: an NVML call that never returned is left in a daemon thread; exit without
    # waiting on it (or on the driver's exit handlers).
    if device_probe is not None and getattr(device_probe, "HUNG", False):
        os._exit(0)
    # --- end devices


if __name__ == "__main__":
    main()
