"""The smoke script's event protocol on the host, without MindSpore: what the target writes
is what envdoctor.smoke.runner reads, and a stage's failure is told, never raised."""

import io
import json
import subprocess
import sys
import textwrap

from envdoctor.probes import smoke_protocol as protocol
from envdoctor.probe import probe_script
from envdoctor.smoke.runner import PREFIX, parse_event


class _State(object):
    pass


def _channel():
    stream = io.StringIO()
    return protocol.Channel(stream), stream


def _events(stream):
    lines = stream.getvalue().splitlines()
    events = [parse_event(line) for line in lines]
    assert None not in events, lines  # every line is an event the runner understands
    return events


def test_both_sides_agree_on_the_prefix():
    assert protocol.PREFIX == PREFIX


def test_an_event_is_one_json_line_and_non_finite_numbers_become_strings():
    channel, stream = _channel()
    channel.emit("end", stage="loss", data={"loss": float("nan"), "steps": [1.0, float("inf")],
                                            3: "int key"})
    (event,) = _events(stream)
    assert event == {"event": "end", "stage": "loss",
                     "data": {"loss": "nan", "steps": [1.0, "inf"], "3": "int key"}}
    json.loads(stream.getvalue()[len(PREFIX):], parse_constant=lambda c: 1 / 0)  # strict JSON


def test_a_passing_stage_is_a_start_and_an_end():
    channel, stream = _channel()
    ok = protocol.run_stage(channel, "data", lambda s: protocol.Outcome("3 batches", {"n": 3}),
                            _State())
    start, end = _events(stream)
    assert ok is True
    assert start == {"event": "start", "stage": "data"}
    assert (end["status"], end["detail"], end["data"], end["error"]) == (
        "pass", "3 batches", {"n": 3}, None)
    assert end["seconds"] >= 0


def test_a_warning_or_skip_still_passes():
    channel, stream = _channel()
    assert protocol.run_stage(channel, "compiled",
                              lambda s: protocol.Outcome("no jit here", status="skip"), _State())
    assert _events(stream)[-1]["status"] == "skip"


def test_a_failed_check_carries_its_detail_and_data():
    def stage(state):
        raise protocol.Failed("accuracy 51%", {"accuracy": 0.51})

    channel, stream = _channel()
    assert protocol.run_stage(channel, "accuracy", stage, _State()) is False
    end = _events(stream)[-1]
    assert (end["status"], end["detail"], end["data"], end["error"]) == (
        "fail", "accuracy 51%", {"accuracy": 0.51}, None)


def test_an_exception_is_a_failure_with_its_inner_cause_and_traceback():
    wrapped = ("Exception thrown from dataset pipeline.\n"
               "------------------------------------------\n"
               "Traceback (most recent call last):\n  File \"x.py\", line 1\n"
               "ValueError: Unable to avoid copy while creating an array as requested.")

    def stage(state):
        raise RuntimeError(wrapped)

    channel, stream = _channel()
    assert protocol.run_stage(channel, "data", stage, _State()) is False
    end = _events(stream)[-1]
    assert end["detail"] == ("RuntimeError: Exception thrown from dataset pipeline. (cause: "
                             "ValueError: Unable to avoid copy while creating an array as "
                             "requested.)")
    assert end["error"]["type"] == "RuntimeError"
    assert "raise RuntimeError(wrapped)" in end["error"]["traceback"]


def test_system_exit_from_a_library_is_a_failure_not_an_exit():
    channel, stream = _channel()
    assert protocol.run_stage(channel, "import", lambda s: sys.exit(3), _State()) is False
    assert _events(stream)[-1]["detail"] == "SystemExit: 3"


def test_first_line_skips_rules_and_blank_lines():
    assert protocol.first_line("\n-----\n====\n  real message  \nmore") == "real message"
    assert protocol.first_line("x" * 900) == "x" * 500


def test_inner_cause_is_the_last_error_line():
    text = "TypeError: first\nnoise\nKeyError: 'second'"
    assert protocol.inner_cause(text) == "KeyError: 'second'"
    assert protocol.inner_cause("no error here") is None


def test_the_channel_survives_prints_to_stdout_from_python_and_c(tmp_path):
    # The target's view: after take_stdout, print() and a C-level write(1, ...) go to stderr.
    script = tmp_path / "emitter.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        sys.path.insert(0, sys.argv[1])
        import smoke_protocol
        print("before the channel")
        channel = smoke_protocol.Channel.take_stdout()
        print("a library's chatter")
        os.write(1, b"C++ writes to fd 1\\n")
        channel.emit("hello", protocol=smoke_protocol.PROTOCOL)
        channel.close()
    """))
    folder = probe_script("")
    proc = subprocess.run([sys.executable, str(script), folder], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "before the channel"
    assert [parse_event(line) for line in lines[1:]] == [{"event": "hello", "protocol": 1}]
    assert "a library's chatter" in proc.stderr and "C++ writes to fd 1" in proc.stderr
