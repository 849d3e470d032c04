"""envdoctor.render.devices: the Devices lines from an analysis."""

import synthetic
from envdoctor.devices import analyze
from envdoctor.render.devices import device_lines


def test_device_lines_of_a_t4_without_its_driver_library():
    lines = dict(device_lines(analyze(synthetic.student())))
    assert lines["gpu"] == "1 x Tesla T4 (15 GiB, sm_75); driver 550.54.15 (CUDA up to 12.4) [nvml]"
    assert lines["cuda libs"] == "no CUDA runtime, cuBLAS or cuDNN found"
    assert lines["mindspore"] == "2.2.14 with plugins for GPU (CUDA 11.6), CPU"
    assert lines["backends"] == "MindSpore can use CPU"
    assert lines["cpu"] == "Intel Xeon, x86_64, 4 cores, 16 GiB, avx2"
