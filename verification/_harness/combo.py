#!/usr/bin/env python3
"""Run one verification combo: fresh venv, install, freeze, pip check, import tests, meta.json.

usage: combo.py SPEC.json
SPEC: {"id", "python", "install": [cmd,...], "import_commands": [cmd,...] (all must pass),
       "extra_commands": [cmd,...] (recorded only), "reuse_venv": optional id, "keep": bool,
       "notes": optional str}
"""
import json, os, re, subprocess, sys, shutil

ROOT = "/work/cache/verify-helper"
OUT = "/work/main/verification"
KEYS = ["mindspore", "mindspore-cuda11-dev", "mindnlp", "numpy", "pillow", "transformers", "tokenizers", "torch"]

spec = json.load(open(sys.argv[1]))
cid = spec["id"]
venv = os.path.join(ROOT, "venvs", spec.get("reuse_venv") or cid)
out = os.path.join(OUT, cid)
os.makedirs(out, exist_ok=True)
workdir = os.path.join(ROOT, "empty")  # neutral cwd so nothing local shadows imports
os.makedirs(workdir, exist_ok=True)

env = dict(os.environ)
env["VIRTUAL_ENV"] = venv
env["PATH"] = os.path.join(venv, "bin") + ":" + env["PATH"]
env.pop("PYTHONPATH", None)
env["PYENV_VERSION"] = "system"  # irrelevant: venv bin comes first on PATH


for k, v in spec.get("env", {}).items():
    if v is None:
        env.pop(k, None)
    else:
        env[k] = v


def sh(cmd, log=None):
    tmp = os.path.join(ROOT, "logs", f"{cid}.current")
    with open(tmp, "w") as f:  # streamed so progress is visible while it runs
        rc = subprocess.run(["bash", "-c", cmd], cwd=workdir, env=env, stdout=f,
                            stderr=subprocess.STDOUT).returncode
    out_text = open(tmp, errors="replace").read()
    if log:
        with open(os.path.join(ROOT, "logs", f"{cid}.log"), "a") as f:
            f.write(f"\n$ {cmd}\n{out_text}\nexit={rc}\n")
    return rc, out_text


os.makedirs(os.path.join(ROOT, "logs"), exist_ok=True)
if not spec.get("reuse_venv"):
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([f"/root/.pyenv/versions/{spec['python']}/bin/python", "-m", "venv", venv], check=True)

pyver = subprocess.run([os.path.join(venv, "bin", "python"), "-c",
                        "import sys,platform;print(platform.python_version())"],
                       stdout=subprocess.PIPE, text=True).stdout.strip()

EXC_RE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)|ERROR)\b.*")


def last_exc(text):
    lines = [l.rstrip() for l in text.splitlines() if l.strip()]
    for l in reversed(lines):
        if EXC_RE.match(l):
            return l
    return lines[-1] if lines else None


install_failed = None
for cmd in spec["install"]:
    rc, o = sh(cmd, log=True)
    if rc != 0:
        o2 = "\n".join(l for l in o.splitlines() if not l.startswith("WARNING: Location"))
        install_failed = (cmd, rc, o2)
        break

rc, o = sh("python -m pip list --format=freeze")
open(os.path.join(out, "freeze.txt"), "w").write(o)
freeze = {}
for l in o.splitlines():
    if "==" in l:
        k, v = l.split("==", 1)
        freeze[k.lower().replace("_", "-")] = v
rc, o = sh("python -m pip check")
open(os.path.join(out, "pip-check.txt"), "w").write(o + ("" if o.endswith("\n") or not o else "\n") + f"exit={rc}\n")

verdict, error = "works", None
parts = []
if install_failed:
    cmd, rc, o = install_failed
    tail = "\n".join(o.splitlines()[-60:])
    parts.append(f"$ {cmd}\n{tail}\nexit={rc}\n")
    errs = [l.strip() for l in o.splitlines() if re.match(r"^\s*(ERROR|error):", l)]
    verdict, error = "broken", (errs[-1] if errs else last_exc(o))
else:
    for kind, cmds in (("test", spec["import_commands"]), ("extra", spec.get("extra_commands", []))):
        for cmd in cmds:
            rc, o = sh(cmd, log=True)
            tail = "\n".join(o.splitlines()[-60:])
            label = "" if kind == "test" else "# additional check (recorded, not part of verdict)\n"
            parts.append(f"{label}$ {cmd}\n{tail}\nexit={rc}\n")
            if kind == "test" and rc != 0 and verdict == "works":
                verdict, error = "broken", last_exc(o)
open(os.path.join(out, "import.txt"), "w").write("\n".join(parts))

date = subprocess.run(["date", "-u", "+%F"], stdout=subprocess.PIPE, text=True).stdout.strip()
meta = {
    "id": cid,
    "date": date,
    "python": pyver,
    "platform": "linux-x86_64",
    "install": spec["install"],
    "import_command": " && ".join(spec["import_commands"]),
    "verdict": verdict,
    "error": error,
    "versions": {k: freeze[k] for k in KEYS if k in freeze},
}
if spec.get("extra_commands"):
    meta["additional_checks"] = spec["extra_commands"]
if spec.get("env"):
    meta["pip_environment"] = spec["env"]
if spec.get("notes"):
    meta["notes"] = spec["notes"]
json.dump(meta, open(os.path.join(out, "meta.json"), "w"), indent=2)
open(os.path.join(out, "meta.json"), "a").write("\n")
print(json.dumps(meta, indent=2))
if not spec.get("keep"):
    shutil.rmtree(venv, ignore_errors=True)
