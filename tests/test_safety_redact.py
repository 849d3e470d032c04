"""Secrets never reach a snapshot: URL credentials, query tokens, key-like names; in linear time.

The rules live in envdoctor/probes/redact.py, which runs inside the target interpreter: it is
also run here by the oldest Python available, as the probe would."""

import subprocess
import time

import pytest

from conftest import ROOT, pyenv_python
from envdoctor.probes.redact import REDACTED, redact, redact_text


@pytest.mark.parametrize("name,value,secret", [
    ("PIP_INDEX_URL", "https://ghp_TOKEN@mirror.example/simple", "ghp_TOKEN"),
    ("PIP_INDEX_URL", "https://user:hunter2@mirror.example/simple", "hunter2"),
    ("PIP_EXTRA_INDEX_URL", "https://a.example/s https://u:pw2@b.example/s", "pw2"),
    ("HF_ENDPOINT", "https://hf.example/api?access_token=abc123&x=1", "abc123"),
    ("PIP_FIND_LINKS", "https://h.example/w?X-Amz-Signature=sig999;k=2", "sig999"),
    ("OBS_AK", "AKIDEXAMPLE", "AKIDEXAMPLE"),
    ("MOXING_SK", "skvalue", "skvalue"),
    ("HF_TOKEN", "hf_abc", "hf_abc"),
    ("MY_SECRET_THING", "s3", "s3"),
    ("DB_PASSWORD", "pw", "pw"),
    ("MS_API_KEY", "k", "k"),
])
def test_secrets_are_redacted(name, value, secret):
    out = redact(name, value)
    assert secret not in out and REDACTED in out


@pytest.mark.parametrize("name,value", [
    ("PATH", "/usr/local/bin:/usr/bin"),
    ("HF_ENDPOINT", "https://hf-mirror.com"),
    ("PIP_INDEX_URL", "https://repo.huaweicloud.com/repository/pypi/simple"),
    ("PIP_FIND_LINKS", "file:///tmp/wheels@v1/x"),
    ("ASCEND_HOME_PATH", "/usr/local/Ascend/ascend-toolkit/latest"),
    ("TASK", "https://h.example/x?page=2&sort=name"),
])
def test_ordinary_values_are_kept(name, value):
    assert redact(name, value) == value


def test_redaction_is_linear_in_the_length_of_a_value():
    for hostile in ("://" * 200000, "http://" + "a" * 600000, "?" + "a" * 600000,
                    "&a=" * 200000, "http://a@" * 100000, "a" * 600000):
        started = time.time()
        redact_text(hostile)
        assert time.time() - started < 2.0, hostile[:20]


@pytest.mark.parametrize("version", ["3.7", "3.13"])
def test_the_rules_run_in_an_old_and_a_new_target(version):
    python = pyenv_python(version)
    if python is None:
        pytest.skip("no Python %s here" % version)
    code = ("import sys; sys.path.insert(0, %r); import redact; "
            "print(redact.redact('PIP_INDEX_URL', 'https://tok@h/simple'))"
            % str(ROOT / "envdoctor" / "probes"))
    out = subprocess.run([python, "-c", code], stdout=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout
    assert out.strip() == "https://%s@h/simple" % REDACTED


def test_a_snapshot_file_is_written_0600(tmp_path):
    import os
    import stat

    from conftest import envdoctor

    out = tmp_path / "env.json"
    proc = envdoctor("snapshot", "-o", str(out), env={"PIP_INDEX_URL": "https://tok@h/simple"})
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(os.stat(str(out)).st_mode) == 0o600
