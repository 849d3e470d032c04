"""Devices: the stdlib device probe, its parsers on recorded real outputs, fake library trees
made of real ELF files, the ED5xx checks, usable_backends, and `check` on this GPU-less machine.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, envdoctor, pyenv_python
from envdoctor.checks import CheckContext
from envdoctor.checks import devices as device_checks
from envdoctor.devices import (analyze, backends, cuda_max_arch, infer_compute_capability,
                               summary, summary_lines, usable_backends)
from envdoctor.findings import CODES, Severity
from envdoctor.probes import device_probe as dp
from envdoctor.probes import devices_elf
from envdoctor.probes import devices_parse as parse
from envdoctor.snapshot import Snapshot

DATA = Path(__file__).resolve().parent / "data" / "devices"
GCC = shutil.which("gcc") or shutil.which("cc")
needs_gcc = pytest.mark.skipif(GCC is None or not sys.platform.startswith("linux"),
                               reason="building real ELF libraries needs gcc on Linux")


def data(name: str) -> str:
    return (DATA / name).read_text()


# --------------------------------------------------------------------------------------------
# Parsers on recorded real outputs
# --------------------------------------------------------------------------------------------

def test_nvidia_smi_query_h100():
    gpus = parse.parse_nvidia_smi_csv(data("nvidia-smi-query-h100.csv"))
    assert len(gpus) == 2
    assert gpus[0] == {"index": 0, "name": "NVIDIA H100 80GB HBM3", "memory_mib": 81559,
                       "compute_capability": "9.0", "pci_bus_id": "00000000:18:00.0",
                       "driver_version": "535.104.05"}
    assert gpus[1]["index"] == 1


def test_nvidia_smi_query_older_cards():
    t4 = parse.parse_nvidia_smi_csv(data("nvidia-smi-query-t4.csv"))
    assert t4[0]["name"] == "Tesla T4" and t4[0]["compute_capability"] == "7.5"
    v100 = parse.parse_nvidia_smi_csv(data("nvidia-smi-query-v100-470.csv"))
    assert [g["memory_mib"] for g in v100] == [32510, 32510]
    assert v100[0]["compute_capability"] is None  # nvidia-smi 470 cannot report it
    assert infer_compute_capability(v100[0]["name"]) == "7.0"
    units_free = "index, name, memory.total [MiB]\n0, Tesla T4, 15360\n"
    assert parse.parse_nvidia_smi_csv(units_free)[0]["memory_mib"] == 15360


@pytest.mark.parametrize("name", ["nvidia-smi-470-compute_cap.txt", "nvidia-smi-no-driver.txt"])
def test_nvidia_smi_errors_are_not_tables(name):
    assert parse.parse_nvidia_smi_csv(data(name)) is None
    assert parse.parse_nvidia_smi_csv("No devices were found\n") is None


def test_nvidia_smi_banners():
    assert parse.parse_nvidia_smi_header(data("nvidia-smi-h100.txt")) == {
        "smi_version": "535.104.05", "driver_version": "535.104.05",
        "cuda_driver_version": "12.2"}
    old = parse.parse_nvidia_smi_header(data("nvidia-smi-v100-470.txt"))
    assert old["driver_version"] == "470.182.03" and old["cuda_driver_version"] == "11.4"
    assert parse.parse_nvidia_smi_header("| NVIDIA-SMI 550.54.10  Driver Version: 550.54.10  "
                                      "CUDA Version: N/A |")["cuda_driver_version"] is None


def test_proc_driver_files():
    text = ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 "
            "UTC 2023\nGCC version:  gcc version 11.4.0\n")
    assert parse.parse_proc_nvidia_version(text) == "535.104.05"
    info = parse.parse_proc_gpu_information("Model: \t\t NVIDIA H100 80GB HBM3\nIRQ:   \t\t 42\n"
                                         "Bus Location: \t 0000:18:00.0\n")
    assert info == {"name": "NVIDIA H100 80GB HBM3", "pci_bus_id": "0000:18:00.0"}


def test_npu_smi_910b4():
    parsed = parse.parse_npu_smi_info(data("npu-smi-910b4.txt"))
    assert parsed["npu_smi_version"] is None  # this copy has no banner line
    assert parsed["chips"] == [{"npu": 0, "name": "910B4", "health": "OK", "chip": 0,
                                "phy_id": None, "bus_id": "0000:00:00.0",
                                "memory_mib": 32768}]


def test_npu_smi_two_chips_per_card_and_process_table_ignored():
    parsed = parse.parse_npu_smi_info(data("npu-smi-ascend910-8chip.txt"))
    assert parsed["npu_smi_version"] == "24.1.rc3.3" and parsed["driver_version"] == "24.1.rc3.3"
    chips = parsed["chips"]
    assert len(chips) == 8
    assert [c["phy_id"] for c in chips] == list(range(8))
    assert sorted({c["npu"] for c in chips}) == [0, 1, 2, 3]
    assert {c["name"] for c in chips} == {"Ascend910"} and {c["health"] for c in chips} == {"OK"}
    assert chips[1] == {"npu": 0, "name": "Ascend910", "health": "OK", "chip": 1, "phy_id": 1,
                        "bus_id": "0000:9F:00.0", "memory_mib": 65536}
    running = data("npu-smi-ascend910-8chip.txt") + (
        "| 0       0                 | 12345         | python                   | 1024  |\n")
    assert len(parse.parse_npu_smi_info(running)["chips"]) == 8


def test_cann_version_files():
    assert parse.parse_version_cfg(data("cann/version.cfg-8.0.RC3")) == {
        "component_version": "7.5.0.1.129", "release": "8.0.RC3"}
    assert parse.parse_version_cfg(data("cann/version.cfg-8.0.0")) == {
        "component_version": "7.6.0.1.220", "release": "8.0.0"}
    info = parse.parse_key_values(data("cann/ascend_toolkit_install.info-8.1.RC1"))
    assert info["version"] == "8.1.RC1" and info["arch"] == "aarch64"
    driver = parse.parse_key_values(data("cann/driver-version.info-24.1.rc3"))
    assert driver["Version"] == "24.1.rc3" and driver["package_version"] == "24.1.rc3"
    from envdoctor.versions import parse_lenient

    assert str(parse_lenient("8.1.RC1")) == "8.1rc1"
    assert parse_lenient("8.0.RC3") < parse_lenient("8.0.0") < parse_lenient("8.1.RC1")


def test_ldconfig_snippets():
    mine = parse.parse_ldconfig(data("ldconfig-this-machine-cuda13.txt"))
    assert ("libcudart.so.13", "libc6,x86-64",
            "/usr/local/cuda-13.0/lib/libcudart.so.13") in mine
    cuda11 = dict((s, p) for s, _f, p in parse.parse_ldconfig(data("ldconfig-cuda11.6.txt")))
    assert cuda11["libcudart.so.11.0"].endswith("cuda-11.6/targets/x86_64-linux/lib/"
                                                "libcudart.so.11.0")
    assert cuda11["libc.so.6"] == "/lib/x86_64-linux-gnu/libc.so.6"  # "OS ABI" flags parsed
    assert sorted(s for s in cuda11 if parse.CUDA_LIB.match(s)) == [
        "libcublas.so.11", "libcublasLt.so.11", "libcuda.so", "libcuda.so.1", "libcudart.so",
        "libcudart.so.11.0", "libcudnn.so.8", "libnvidia-ml.so.1"]


def test_library_names_and_versions():
    assert parse.library_info("libcudart.so.11.0", "libcudart.so.11.6.55") == {
        "name": "cudart", "file": "libcudart.so.11.0", "soname_version": "11.0",
        "version": "11.6.55"}
    assert parse.library_info("libcudnn.so.8", "libcudnn.so.8.5.0")["version"] == "8.5.0"
    assert parse.library_info("libcublasLt.so.11")["name"] == "cublasLt"
    assert parse.library_info("libcudnn_ops_infer.so.8") is None
    assert parse.parse_wheel_dist_infos(["nvidia_cudnn_cu11-8.5.0.96.dist-info",
                                      "nvidia_cuda_runtime-13.0.96.dist-info", "pip"]) == {
        "cudnn": ("nvidia-cudnn-cu11", "8.5.0.96"),
        "cuda_runtime": ("nvidia-cuda-runtime", "13.0.96")}


def test_cuda_toolkit_version_files():
    text = json.dumps({"cuda": {"name": "CUDA SDK", "version": "11.6.2"},
                       "cuda_cudart": {"name": "CUDA Runtime (cudart)", "version": "11.6.55"}})
    assert parse.parse_cuda_version_json(text) == {"version": "11.6.2", "cudart": "11.6.55"}
    assert parse.parse_cuda_version_txt("CUDA Version 10.1.243\n")["version"] == "10.1.243"
    header = "#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 5\n#define CUDNN_PATCHLEVEL 0\n"
    assert parse.parse_cudnn_header(header) == "8.5.0"
    assert parse.parse_cudnn_header("#define CUDNN_MAJOR 8\n") is None


def test_cpuinfo_x86_and_aarch64():
    epyc = parse.parse_cpuinfo(data("cpuinfo-amd-epyc-2core.txt"))
    assert epyc["model"] == "AMD EPYC" and epyc["vendor"] == "AuthenticAMD"
    assert epyc["logical_cores"] == 2 and epyc["physical_cores"] == 2
    assert {"avx", "avx2", "fma", "sse4_2"} <= set(epyc["flags"])
    kunpeng = parse.parse_cpuinfo(data("cpuinfo-kunpeng920.txt"))
    assert kunpeng["model"].startswith("HiSilicon Kunpeng 920")
    assert {"asimd", "fphp", "asimdhp"} <= set(kunpeng["flags"])
    assert parse.parse_meminfo(data("meminfo-24g.txt")) == 24684096 // 1024
    mac = parse.parse_sysctl("machdep.cpu.brand_string: Apple M1\nhw.memsize: 17179869184\n"
                          "hw.ncpu: 8\nhw.physicalcpu: 8\n")
    assert mac["model"] == "Apple M1" and mac["memory_mib"] == 16384 and mac["logical_cores"] == 8


def test_mindspore_file_lists():
    found = parse.parse_plugin_files([
        "ascend", "cpu", "gpu11.1", "gpu11.6", "libmindspore_ascend.so.2",
        "libmindspore_gpu.so.11.1", "libmindspore_gpu.so.11.6", "libmindspore_cpu_res_manager.so"])
    assert found["gpu"] == {"11.1": "libmindspore_gpu.so.11.1",
                            "11.6": "libmindspore_gpu.so.11.6"}
    assert found["gpu_dirs"] == ["11.1", "11.6"]
    assert found["ascend"] == ["libmindspore_ascend.so.2"]
    assert found["cpu"] == ["libmindspore_cpu_res_manager.so"]
    assert parse.parse_check_version(CHECK_VERSION_PY) == {
        "gpu_cuda_versions": ["10.1", "11.1", "11.6"], "ascend_versions": ["7.7", "7.8", "8.2"]}


def test_cuda_arch_table():
    assert cuda_max_arch("11.1") == "8.6" and cuda_max_arch("11.6") == "8.7"
    assert cuda_max_arch("11.8") == "9.0" and cuda_max_arch("10.1") == "7.5"
    for name, cc in [("NVIDIA H200", "9.0"), ("NVIDIA A100-SXM4-80GB", "8.0"),
                     ("NVIDIA A10", "8.6"), ("NVIDIA L4", "8.9"), ("NVIDIA GeForce RTX 4090",
                                                                   "8.9"), ("Tesla P100-PCIE-16GB",
                                                                            "6.0")]:
        assert infer_compute_capability(name) == cc, name


# --------------------------------------------------------------------------------------------
# ELF: real shared objects
# --------------------------------------------------------------------------------------------

def test_elf_dynamic_matches_readelf_on_a_system_library():
    lib = next((p for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/"
                            "libz.so.1", "/lib64/libz.so.1", "/lib/aarch64-linux-gnu/libz.so.1")
                if os.path.exists(p)), None)
    readelf = shutil.which("readelf")
    if lib is None or readelf is None:
        pytest.skip("no libz.so.1 or readelf here")
    out = subprocess.run([readelf, "-d", lib], stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    expected = [line.split("[", 1)[1].rstrip("]") for line in out.splitlines()
                if "(NEEDED)" in line]
    needed, _rpath, _runpath = devices_elf.elf_dynamic(lib)
    assert needed == expected and "libc.so.6" in needed


def test_elf_dynamic_rejects_non_elf(tmp_path):
    (tmp_path / "libmindspore_gpu.so.11.6").write_text("not an ELF file")
    assert devices_elf.elf_dynamic(str(tmp_path / "libmindspore_gpu.so.11.6")) is None
    assert devices_elf.elf_dynamic(str(tmp_path / "absent.so")) is None


CHECK_VERSION_PY = '''"""version and config check (a stand-in with the same class layout)"""


class EnvChecker:
    pass


class GPUEnvChecker(EnvChecker):
    def __init__(self, library_path):
        self.version = ["10.1", "11.1", "11.6"]
        self.library_path = library_path


class AscendEnvChecker(EnvChecker):
    def __init__(self, library_path):
        self.library_path = library_path
        self.version = ["7.7", "7.8", "8.2"]
'''


def _so(folder: Path, filename: str, soname: str, needs=(), search=(), runpath=None,
        links=()) -> Path:
    """Compile a real shared library with that soname, linked against ``needs``."""
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / (".%s.c" % filename)
    src.write_text("int envdoctor_test_%d(void) { return 0; }\n" % abs(hash(filename)))
    argv = [GCC, "-shared", "-fPIC", "-o", str(folder / filename), str(src),
            "-Wl,-soname," + soname, "-Wl,--no-as-needed"]
    argv += ["-L" + str(d) for d in search] + ["-l:" + n for n in needs]
    if runpath:
        argv += ["-Wl,--enable-new-dtags,-rpath," + runpath]
    subprocess.run(argv, check=True)
    src.unlink()
    for link in links:
        os.symlink(filename, str(folder / link))
    return folder / filename


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """Real files: a CUDA 11.6 toolkit, cuDNN 8.5, an nvidia-cudnn-cu11 wheel, a CANN 8.0.RC3
    install, and MindSpore 2.7.0-like packages with and without device plugins."""
    if GCC is None or not sys.platform.startswith("linux"):
        pytest.skip("building real ELF libraries needs gcc on Linux")
    base = tmp_path_factory.mktemp("trees")
    cuda = base / "cuda-11.6"
    lib = cuda / "targets" / "x86_64-linux" / "lib"
    _so(lib, "libcudart.so.11.6.55", "libcudart.so.11.0", links=["libcudart.so.11.0",
                                                                  "libcudart.so"])
    _so(lib, "libcublas.so.11.9.2.110", "libcublas.so.11", links=["libcublas.so.11"])
    os.symlink("targets/x86_64-linux/lib", str(cuda / "lib64"))
    (cuda / "version.json").write_text(json.dumps(
        {"cuda": {"name": "CUDA SDK", "version": "11.6.2"},
         "cuda_cudart": {"name": "CUDA Runtime (cudart)", "version": "11.6.55"}}, indent=3))
    (cuda / "bin").mkdir()
    (cuda / "bin" / "nvcc").write_text("#!/bin/sh\n")
    cudnn = base / "cudnn" / "lib"
    _so(cudnn, "libcudnn.so.8.5.0", "libcudnn.so.8", links=["libcudnn.so.8"])
    inc = cuda / "include"
    inc.mkdir()
    (inc / "cudnn_version.h").write_text(
        "#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 5\n#define CUDNN_PATCHLEVEL 0\n")
    cuda13 = base / "cuda-13.0" / "lib"
    _so(cuda13, "libcudart.so.13", "libcudart.so.13", links=["libcudart.so"])

    wheel_site = base / "wheel-site"
    _so(wheel_site / "nvidia" / "cudnn" / "lib", "libcudnn.so.8", "libcudnn.so.8")
    (wheel_site / "nvidia_cudnn_cu11-8.5.0.96.dist-info").mkdir()

    ascend = base / "Ascend"
    kit = ascend / "ascend-toolkit" / "8.0.RC3"
    _so(kit / "lib64", "libge_runner.so", "libge_runner.so")
    _so(kit / "lib64", "libascendcl.so", "libascendcl.so")
    (kit / "version.cfg").write_text(data("cann/version.cfg-8.0.RC3"))
    (kit / "compiler").mkdir()
    (kit / "compiler" / "version.info").write_text("Version=7.5.0.1.129\nversion_dir=8.0.RC3\n")
    (kit / "opp").mkdir()
    os.symlink("8.0.RC3", str(ascend / "ascend-toolkit" / "latest"))
    (ascend / "ascend-toolkit" / "set_env.sh").write_text("export ASCEND_HOME_PATH=...\n")
    (ascend / "driver").mkdir()
    (ascend / "driver" / "version.info").write_text(data("cann/driver-version.info-24.1.rc3"))
    (ascend / "firmware").mkdir()
    (ascend / "firmware" / "version.info").write_text(
        data("cann/firmware-version.info-24.1.rc3"))

    def mindspore(site: Path, gpu=True, ascend_plugin=True):
        pkg = site / "mindspore"
        (pkg / "run_check").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "version.py").write_text("__version__ = '2.7.0'\n")
        (pkg / "run_check" / "_check_version.py").write_text(CHECK_VERSION_PY)
        plugin = pkg / "lib" / "plugin"
        plugin.mkdir(parents=True)
        (plugin / "cpu").mkdir()
        if gpu:
            for version in ("11.1", "11.6"):
                _so(plugin, "libmindspore_gpu.so." + version, "libmindspore_gpu.so." + version,
                    needs=["libcudart.so.11.0", "libcublas.so.11", "libcudnn.so.8"],
                    search=[lib, cudnn], runpath="$ORIGIN:$ORIGIN/..")
                (plugin / ("gpu" + version)).mkdir()
        if ascend_plugin:
            _so(plugin, "libmindspore_ascend.so.2", "libmindspore_ascend.so.2",
                needs=["libge_runner.so", "libascendcl.so"], search=[kit / "lib64"],
                runpath="$ORIGIN:$ORIGIN/ascend")
            (plugin / "ascend").mkdir()
        return pkg

    full = base / "site-full"
    mindspore(full)
    cpu_only = base / "site-cpu"
    mindspore(cpu_only, gpu=False, ascend_plugin=False)
    return {"base": base, "cuda": cuda, "cuda_lib": lib, "cudnn": cudnn, "cuda13": cuda13,
            "wheel_site": wheel_site, "ascend": ascend, "kit": kit, "site_full": full,
            "site_cpu": cpu_only}


def _tool(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def fake_nvidia_smi(folder: Path, query: str, banner: str, cc_error: bool = False) -> None:
    lines = ['case "$1" in']
    if cc_error:
        lines.append('  --query-gpu=*compute_cap*) cat "%s"; exit 2 ;;'
                     % (DATA / "nvidia-smi-470-compute_cap.txt"))
    lines.append('  --query-gpu=*) cat "%s" ;;' % (DATA / query))
    lines.append('  *) cat "%s" ;;' % (DATA / banner))
    lines.append("esac")
    _tool(folder, "nvidia-smi", "\n".join(lines))


def fake_root(tmp_path: Path, trees, cuda=True, ascend=False, npus=0, cpuinfo=None) -> Path:
    root = tmp_path / "root"
    local = root / "usr" / "local"
    local.mkdir(parents=True)
    if cuda:
        os.symlink(str(trees["cuda"]), str(local / "cuda-11.6"))
    if ascend:
        os.symlink(str(trees["ascend"]), str(local / "Ascend"))
    (root / "dev").mkdir()
    for i in range(npus):
        (root / "dev" / ("davinci%d" % i)).write_text("")
    if cpuinfo:
        (root / "proc").mkdir()
        (root / "proc" / "cpuinfo").write_text(data(cpuinfo))
        (root / "proc" / "meminfo").write_text(data("meminfo-24g.txt"))
    return root


def snapshot_of(devices, mindspore="2.7.0", env=None, machine="x86_64") -> Snapshot:
    dists = [{"name": "mindspore", "version": mindspore}] if mindspore else []
    return Snapshot.from_dict({
        "schema": 1, "interpreter": {"version": "3.9.18", "executable": "/x/python"},
        "platform": {"system": "Linux", "machine": machine}, "marker_environment": {},
        "distributions": dists, "environment_variables": dict(env or {}),
        "devices": devices})


def codes(findings):
    return sorted(f.code for f in findings)


def run_check(snapshot):
    found = device_checks.check(CheckContext(snapshot))
    for f in found:
        assert f.code in CODES and CODES[f.code].area == "devices"
        assert f.severity is CODES[f.code].severity, f.code
        assert f.fix is None or f.fix.command or f.fix.text
    return found


# --------------------------------------------------------------------------------------------
# The probe on fake trees
# --------------------------------------------------------------------------------------------

@needs_gcc
def test_h100_with_cuda11_libraries_on_the_loader_path(tmp_path, trees):
    bin_dir = tmp_path / "bin"
    fake_nvidia_smi(bin_dir, "nvidia-smi-query-h100.csv", "nvidia-smi-h100.txt")
    root = fake_root(tmp_path, trees, cpuinfo="cpuinfo-amd-epyc-2core.txt")
    env = {"PATH": str(bin_dir), "LD_LIBRARY_PATH": "%s:%s" % (trees["cuda_lib"],
                                                               trees["cudnn"])}
    devices = dp.collect(environ=env, sys_path=[str(trees["site_full"])], root=str(root))
    assert devices["errors"] == []
    nvidia = devices["nvidia"]
    assert nvidia["source"] == "nvidia-smi" and nvidia["cuda_driver_version"] == "12.2"
    assert nvidia["driver_version"] == "535.104.05" and len(nvidia["gpus"]) == 2
    libs = {lib["file"]: lib for lib in devices["cuda"]["libraries"]}
    assert libs["libcudart.so.11.0"]["version"] == "11.6.55"
    assert libs["libcudart.so.11.0"]["on_loader_path"] is True
    assert libs["libcudnn.so.8"]["version"] == "8.5.0"
    kit = devices["cuda"]["toolkits"][0]
    assert kit["version"] == "11.6.2" and kit["nvcc"] and kit["lib_on_loader_path"]
    assert devices["cuda"]["cudnn_headers"][0]["version"] == "8.5.0"
    ms = devices["mindspore"]
    assert ms["version"] == "2.7.0" and ms["layout"] == "plugins"
    assert [p["cuda"] for p in ms["gpu_plugins"]] == ["11.1", "11.6"]
    assert ms["gpu_plugins"][1]["needs"][:3] == ["libcudart.so.11.0", "libcublas.so.11",
                                                 "libcudnn.so.8"]
    assert ms["gpu_plugins"][1]["missing"] == [] and ms["gpu_plugins"][1]["akg_dir"]
    assert ms["check_version"]["gpu_cuda_versions"] == ["10.1", "11.1", "11.6"]
    assert devices["cpu"]["model"] == "AMD EPYC" and devices["cpu"]["memory_mib"] == 24105

    snap = snapshot_of(devices)
    assert usable_backends(snap) == ["GPU", "CPU"]
    gpu = [b for b in backends(snap) if b.name == "GPU"][0]
    assert any("sm_90" in c for c in gpu.caveats)
    found = run_check(snap)
    assert codes(found) == ["ED503", "ED505"]  # one ED503 per kind of GPU
    assert found[0].title.startswith("2 x NVIDIA H100 80GB HBM3 (sm_90) is too new")
    assert not any(f.severity is Severity.ERROR for f in found)


@needs_gcc
def test_gpu_plugins_whose_cuda11_libraries_are_off_the_loader_path(tmp_path, trees):
    bin_dir = tmp_path / "bin"
    fake_nvidia_smi(bin_dir, "nvidia-smi-query-t4.csv", "nvidia-smi-h100.txt")
    root = fake_root(tmp_path, trees)
    env = {"PATH": str(bin_dir)}  # CUDA 11.6 under /usr/local, but nothing points at it
    devices = dp.collect(environ=env, sys_path=[str(trees["site_full"]),
                                                str(trees["wheel_site"])], root=str(root))
    plugin = devices["mindspore"]["gpu_plugins"][1]
    assert plugin["missing"] == ["libcudart.so.11.0", "libcublas.so.11", "libcudnn.so.8"]
    libs = {(lib["file"], lib["source"]): lib for lib in devices["cuda"]["libraries"]}
    assert libs[("libcudart.so.11.0", "cuda-dir")]["on_loader_path"] is False
    wheel = libs[("libcudnn.so.8", "pip")]
    assert wheel["package"] == "nvidia-cudnn-cu11 8.5.0.96" and wheel["version"] == "8.5.0.96"

    snap = snapshot_of(devices)
    assert usable_backends(snap) == ["CPU"]
    found = run_check(snap)
    assert codes(found) == ["ED502"]
    finding = found[0]
    assert "libcudart.so.11.0" in finding.title and "libcudnn.so.8" in finding.title
    assert finding.fix.command.startswith("export LD_LIBRARY_PATH=")
    assert str(root / "usr" / "local" / "cuda-11.6" / "lib64") in finding.fix.command
    assert str(trees["wheel_site"] / "nvidia" / "cudnn" / "lib") in finding.fix.command
    assert "Unsupported device target GPU" in finding.because


@needs_gcc
def test_only_cuda13_installed(tmp_path, trees):
    bin_dir = tmp_path / "bin"
    fake_nvidia_smi(bin_dir, "nvidia-smi-query-h100.csv", "nvidia-smi-h100.txt")
    root = fake_root(tmp_path, trees, cuda=False)
    env = {"PATH": str(bin_dir), "LD_LIBRARY_PATH": str(trees["cuda13"])}
    devices = dp.collect(environ=env, sys_path=[str(trees["site_full"])], root=str(root))
    snap = snapshot_of(devices)
    found = run_check(snap)
    assert codes(found) == ["ED502"]
    assert "CUDA 13 is installed" in found[0].because
    assert found[0].fix.command is None and "CUDA 11.6 with cuDNN 8.5" in found[0].fix.text


@needs_gcc
def test_old_driver_without_compute_cap_field(tmp_path, trees):
    bin_dir = tmp_path / "bin"
    fake_nvidia_smi(bin_dir, "nvidia-smi-query-v100-470.csv", "nvidia-smi-v100-470.txt",
                    cc_error=True)
    root = fake_root(tmp_path, trees)
    env = {"PATH": str(bin_dir), "LD_LIBRARY_PATH": "%s:%s" % (trees["cuda_lib"],
                                                               trees["cudnn"])}
    devices = dp.collect(environ=env, sys_path=[str(trees["site_full"])], root=str(root))
    nvidia = devices["nvidia"]
    assert nvidia["errors"] == [] and nvidia["cuda_driver_version"] == "11.4"
    assert [g["compute_capability"] for g in nvidia["gpus"]] == [None, None]
    snap = snapshot_of(devices, mindspore="2.2.14")
    a = analyze(snap)
    assert [g["compute_capability"] for g in a.gpus] == ["7.0", "7.0"]
    assert usable_backends(snap) == ["GPU", "CPU"]
    assert run_check(snap) == []  # V100 + CUDA 11.6 libs + MindSpore 2.2.14: nothing to say
    lines = dict(summary_lines(snap))
    assert lines["gpu"].startswith("2 x Tesla V100-SXM2-32GB (32 GiB, sm_70)")


@needs_gcc
def test_nvidia_smi_that_hangs_is_cut_off(tmp_path, trees):
    bin_dir = tmp_path / "bin"
    _tool(bin_dir, "nvidia-smi", "sleep 30")
    started = time.time()
    devices = dp.collect(environ={"PATH": str(bin_dir)}, sys_path=[], root=str(tmp_path),
                         timeout=1.0)
    assert time.time() - started < 5
    assert devices["nvidia"]["gpus"] == []
    assert "did not answer within 1 s" in devices["nvidia"]["errors"][0]
    found = run_check(snapshot_of(devices))
    assert codes(found) == ["ED506"]


def test_nvidia_smi_without_driver(tmp_path):
    bin_dir = tmp_path / "bin"
    _tool(bin_dir, "nvidia-smi", 'cat "%s"; exit 9' % (DATA / "nvidia-smi-no-driver.txt"))
    devices = dp.collect(environ={"PATH": str(bin_dir)}, sys_path=[], root=str(tmp_path))
    assert "couldn't communicate with the NVIDIA driver" in devices["nvidia"]["errors"][0]
    assert codes(run_check(snapshot_of(devices))) == ["ED506"]


@needs_gcc
def test_gpu_but_mindspore_without_gpu_plugin(tmp_path, trees):
    bin_dir = tmp_path / "bin"
    fake_nvidia_smi(bin_dir, "nvidia-smi-query-t4.csv", "nvidia-smi-h100.txt")
    devices = dp.collect(environ={"PATH": str(bin_dir)}, sys_path=[str(trees["site_cpu"])],
                         root=str(fake_root(tmp_path, trees)))
    found = run_check(snapshot_of(devices))
    assert codes(found) == ["ED501"]
    assert "Tesla T4" in found[0].title
    windows = run_check(snapshot_of(devices, machine="AMD64").__class__.from_dict(dict(
        snapshot_of(devices).raw, platform={"system": "Windows", "machine": "AMD64"})))
    assert "WSL2" in windows[0].fix.text


@needs_gcc
def test_gpu_hidden_and_driver_too_old(tmp_path, trees):
    bin_dir = tmp_path / "bin"
    fake_nvidia_smi(bin_dir, "nvidia-smi-query-t4.csv", "nvidia-smi-h100.txt")
    env = {"PATH": str(bin_dir), "LD_LIBRARY_PATH": "%s:%s" % (trees["cuda_lib"],
                                                               trees["cudnn"])}
    devices = dp.collect(environ=env, sys_path=[str(trees["site_full"])],
                         root=str(fake_root(tmp_path, trees)))
    hidden = snapshot_of(devices, env={"CUDA_VISIBLE_DEVICES": ""})
    assert "ED507" in codes(run_check(hidden)) and usable_backends(hidden) == ["CPU"]
    old = json.loads(json.dumps(devices))
    old["nvidia"]["cuda_driver_version"] = "10.2"
    found = run_check(snapshot_of(old, mindspore="2.2.14"))
    assert codes(found) == ["ED504"]
    assert usable_backends(snapshot_of(old)) == ["CPU"]


@needs_gcc
def test_ascend_910b4_cann_mismatch_and_environment_not_sourced(tmp_path, trees):
    bin_dir = tmp_path / "bin"
    _tool(bin_dir, "npu-smi", 'cat "%s"' % (DATA / "npu-smi-910b4.txt"))
    root = fake_root(tmp_path, trees, cuda=False, ascend=True, npus=1,
                     cpuinfo="cpuinfo-kunpeng920.txt")
    devices = dp.collect(environ={"PATH": str(bin_dir)}, sys_path=[str(trees["site_full"])],
                         root=str(root))
    ascend = devices["ascend"]
    assert ascend["device_files"] == 1 and ascend["chips"][0]["name"] == "910B4"
    assert ascend["driver"]["version"] == "24.1.rc3"
    assert ascend["firmware"]["component_version"] == "7.5.0.1.129"
    kit = ascend["toolkits"][0]
    assert (kit["release"], kit["compiler_version"]) == ("8.0.RC3", "7.5.0.1.129")
    assert kit["set_env"].endswith("ascend-toolkit/set_env.sh")
    plugin = devices["mindspore"]["ascend_plugins"][0]
    assert plugin["missing"] == ["libge_runner.so", "libascendcl.so"]
    assert devices["mindspore"]["check_version"]["ascend_versions"] == ["7.7", "7.8", "8.2"]
    assert devices["cpu"]["model"].startswith("HiSilicon Kunpeng 920")

    snap = snapshot_of(devices, machine="aarch64")
    found = run_check(snap)
    assert codes(found) == ["ED512", "ED513"]
    mismatch = [f for f in found if f.code == "ED512"][0]
    assert "7.5" in mismatch.title and "7.7, 7.8, 8.2" in mismatch.title
    assert "CANN 8.0.RC3" in mismatch.evidence.installed
    assert "_check_version.py" in mismatch.evidence.source
    setup = [f for f in found if f.code == "ED513"][0]
    assert setup.fix.command == "source %s" % kit["set_env"]
    assert usable_backends(snap) == ["CPU"]

    sourced_env = {"PATH": str(bin_dir), "ASCEND_HOME_PATH": str(trees["kit"]),
                   "ASCEND_OPP_PATH": str(trees["kit"] / "opp"),
                   "LD_LIBRARY_PATH": str(trees["kit"] / "lib64")}
    sourced = dp.collect(environ=sourced_env, sys_path=[str(trees["site_full"])],
                         root=str(root))
    assert sourced["mindspore"]["ascend_plugins"][0]["missing"] == []
    assert sourced["ascend"]["toolkits"][0]["source"] == "ASCEND_HOME_PATH"
    snap = snapshot_of(sourced, env=sourced_env, machine="aarch64")
    assert codes(run_check(snap)) == ["ED512"]
    assert usable_backends(snap) == ["Ascend", "CPU"]
    ascend_backend = analyze(snap).backend("Ascend")
    assert ascend_backend.devices == 1 and "not one MindSpore 2.7.0 expects" in \
        ascend_backend.caveats[0]


def test_eight_chips_without_cann(tmp_path):
    bin_dir = tmp_path / "bin"
    _tool(bin_dir, "npu-smi", 'cat "%s"' % (DATA / "npu-smi-ascend910-8chip.txt"))
    devices = dp.collect(environ={"PATH": str(bin_dir)}, sys_path=[], root=str(tmp_path))
    assert len(devices["ascend"]["chips"]) == 8
    snap = snapshot_of(devices)
    found = run_check(snap)
    assert codes(found) == ["ED511", "ED514"]  # mindspore is a dist here, without plugins
    assert dict(summary_lines(snap))["npu"] == "8 x Ascend910; driver 24.1.rc3.3"


def test_npu_smi_permission_problem(tmp_path):
    bin_dir = tmp_path / "bin"
    _tool(bin_dir, "npu-smi", 'echo "Permission denied" >&2; exit 1')
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "davinci0").write_text("")
    devices = dp.collect(environ={"PATH": str(bin_dir)}, sys_path=[], root=str(tmp_path))
    found = run_check(snapshot_of(devices, mindspore=None))
    assert codes(found) == ["ED511", "ED515"]
    assert "Permission denied" in [f for f in found if f.code == "ED515"][0].title


def test_cpu_without_avx2():
    devices = {"schema": 1, "cpu": {"machine": "x86_64", "model": "QEMU Virtual CPU",
                                    "flags": ["sse4_2"]}}
    found = run_check(snapshot_of(devices))
    assert codes(found) == ["ED521"] and found[0].severity is Severity.INFO


def test_snapshot_without_device_data():
    snap = snapshot_of(None)
    snap.raw.pop("devices")
    assert run_check(snap) == [] and usable_backends(snap) == ["CPU"]
    assert summary(snap) is None and summary_lines(snap) == []


def test_device_section_errors_do_not_stop_the_others(monkeypatch):
    monkeypatch.setattr(dp, "probe_ascend", lambda *a: 1 / 0)
    devices = dp.collect(environ={"PATH": ""}, sys_path=[], root="/nonexistent-root")
    assert devices["ascend"] is None and devices["cpu"] is not None
    assert devices["errors"] == ["ascend: ZeroDivisionError: division by zero"]
    assert usable_backends(snapshot_of(devices)) == ["CPU"]


# --------------------------------------------------------------------------------------------
# The real probe on this machine (no GPU, no NPU) and `envdoctor check`
# --------------------------------------------------------------------------------------------

def test_collect_here_is_fast_and_finds_no_accelerator():
    started = time.time()
    devices = dp.collect()
    assert time.time() - started < 1.0  # typically 0.01-0.03 s; generous for loaded CI
    assert devices["errors"] == []
    if devices["nvidia"]["source"] is None:
        assert devices["nvidia"]["gpus"] == []
    assert devices["cpu"]["logical_cores"] >= 1
    json.dumps(devices)


def test_device_probe_runs_on_python37(tmp_path):
    python = pyenv_python("3.7")
    if python is None:
        pytest.skip("no Python 3.7 here")
    script = ROOT / "envdoctor" / "probes" / "device_probe.py"
    proc = subprocess.run([python, str(script)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["schema"] == 1


def test_snapshot_survives_a_broken_device_probe(tmp_path):
    probes = tmp_path / "probes"
    shutil.copytree(str(ROOT / "envdoctor" / "probes"), str(probes))
    (probes / "device_probe.py").write_text("raise RuntimeError('boom')\n")
    proc = subprocess.run([sys.executable, str(probes / "snapshot_probe.py")],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    snap = json.loads(proc.stdout)
    assert snap["distributions"] and "RuntimeError: boom" in snap["devices"]["errors"][0]
    (probes / "device_probe.py").write_text("def collect():\n    raise OSError('no')\n")
    snap = json.loads(subprocess.run([sys.executable, str(probes / "snapshot_probe.py")],
                                     stdout=subprocess.PIPE, cwd=str(tmp_path)).stdout)
    assert "OSError: no" in snap["devices"]["errors"][0]


def test_check_json_on_this_machine_reports_no_accelerator():
    proc = envdoctor("check", "--json", "--recipe", "none")
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    devices = report["environment"]["devices"]
    assert devices["usable_backends"] == ["CPU"]
    assert [b["name"] for b in devices["backends"]] == ["Ascend", "GPU", "CPU"]
    assert devices["gpus"] == [] and devices["npus"] == [] and devices["cann"] is None
    assert devices["cpu"]["logical_cores"] >= 1
    assert devices["probe_errors"] == []
    raw = report["snapshot"]["devices"]
    assert raw["schema"] == 1 and raw["seconds"] < 1.0
    device_findings = [f for f in report["findings"] if f["area"] == "devices"]
    assert all(f["severity"] == "info" for f in device_findings), device_findings


def test_check_text_shows_devices_section():
    proc = envdoctor("check", "--recipe", "none")
    assert proc.returncode in (0, 1), proc.stderr
    section = proc.stdout.split("\nDevices\n", 1)[1].split("\n\n", 1)[0]
    assert "  cpu " in section and "  gpu " in section and "  npu " in section
    assert "  backends  " in section and "not GPU: " in section


@needs_gcc
def test_check_from_a_saved_gpu_snapshot(tmp_path, trees):
    bin_dir = tmp_path / "bin"
    fake_nvidia_smi(bin_dir, "nvidia-smi-query-h100.csv", "nvidia-smi-h100.txt")
    env = {"PATH": str(bin_dir), "LD_LIBRARY_PATH": "%s:%s" % (trees["cuda_lib"],
                                                               trees["cudnn"])}
    devices = dp.collect(environ=env, sys_path=[str(trees["site_full"])],
                         root=str(fake_root(tmp_path, trees)))
    path = tmp_path / "env.json"
    path.write_text(snapshot_of(devices).to_json())
    proc = envdoctor("check", "--from", str(path), "--json", "--recipe", "none")
    report = json.loads(proc.stdout)
    assert report["environment"]["devices"]["usable_backends"] == ["GPU", "CPU"]
    assert {f["code"] for f in report["findings"] if f["area"] == "devices"} == {"ED503",
                                                                                 "ED505"}
    text = envdoctor("check", "--from", str(path), "--recipe", "none").stdout
    assert "2 x NVIDIA H100 80GB HBM3 (80 GiB, sm_90); driver 535.104.05 (CUDA up to 12.2)" \
        in text
    assert "ED503" in text


def test_nvml_without_a_loaded_driver_is_not_a_warning():
    nvidia = {"source": None, "gpus": [], "nvml": "libnvidia-ml.so.1", "nvidia_smi": None,
              "kernel_driver": None,
              "errors": ["NVML: nvmlInit_v2 failed: Driver Not Loaded (9)"]}
    assert run_check(snapshot_of({"schema": 1, "nvidia": nvidia})) == []
    nvidia = dict(nvidia, kernel_driver="535.104.05",
                  errors=["NVML: nvmlInit_v2 failed: Driver/library version mismatch (18)"])
    found = run_check(snapshot_of({"schema": 1, "nvidia": nvidia}))
    assert codes(found) == ["ED506"] and "version mismatch" in found[0].title


def test_missing_driver_library_in_a_container():
    devices = {"schema": 1,
               "nvidia": {"source": "nvml", "gpus": [{"index": 0, "name": "Tesla T4",
                                                      "compute_capability": "7.5"}],
                          "driver_version": "550.54.15", "cuda_driver_version": "12.4"},
               "cuda": {"libraries": []},
               "mindspore": {"path": "/site/mindspore", "version": "2.2.14", "gpu_plugins": [
                   {"file": "libmindspore_gpu.so.11.6", "cuda": "11.6", "elf": True,
                    "needs": ["libcuda.so.1", "libcudart.so.11.0"],
                    "missing": ["libcuda.so.1"]}]}}
    found = run_check(snapshot_of(devices, mindspore="2.2.14"))
    assert codes(found) == ["ED502"] and "--gpus all" in found[0].because
