"""The machine a benchmark run measured (issue 13, item 5): lscpu's description, LLVM's name for
the host CPU (from nnc-bench), and the FMA peak per core measured by bench/peak_fma.c.

The peak is what one core's FMA units can do with many independent accumulators (no loads, no
dependencies): GFLOP/s = threads x iterations x 16 accumulators x lanes x 2 / seconds, the best
of 9 runs, for the widest vector the build measured (AVX-512 zmm if the CPU has avx512f, else
AVX2 ymm). "% of peak" in the report is a row's GFLOP/s / (peak per core x threads).
Standard library only.
"""
import json
import os
import platform
import re
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
PEAK_SRC = os.path.join(HERE, "peak_fma.c")
PEAK_ITERS = "50000000"  # ~0.1-0.4 s per timed run on a 3-4 GHz core; best of 9


def lscpu_summary():
    """(rows [(key, value)], SIMD flags string) from lscpu; ([], "") without lscpu."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return [], ""
    keys = ["Architecture", "Vendor ID", "Model name", "CPU family", "Model", "Stepping", "CPU(s)",
            "Thread(s) per core", "Core(s) per socket", "Socket(s)", "CPU max MHz", "BogoMIPS",
            "Hypervisor vendor", "Virtualization type", "L1d cache", "L2 cache", "L3 cache"]
    rows, flags = [], ""
    for line in out.splitlines():
        if ":" not in line:
            continue
        k, v = line.split(":", 1)
        k, v = k.strip(), v.strip()
        if k in keys:
            rows.append((k, v))
        if k == "Flags":
            have = set(v.split())
            flags = " ".join(f for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl",
                                         "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile")
                             if f in have)
    return rows, flags


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def build_peak(tmp):
    """Compiles peak_fma.c into tmp. Returns (binary, None) or (None, why it was not built)."""
    if platform.machine() not in ("x86_64", "AMD64", "i686", "i386"):
        return None, f"not measured (peak_fma.c is x86 only; this is {platform.machine()})"
    flags = cpu_flags()
    if "avx512f" in flags:
        isa = ["-mavx512f", "-mavx512vl", "-mfma"]
    elif "avx2" in flags and "fma" in flags:
        isa = ["-mavx2", "-mfma"]
    else:
        return None, "not measured (the CPU has neither AVX-512F nor AVX2+FMA)"
    binary = os.path.join(tmp, "peak_fma")
    for cc in ("gcc", "cc"):
        try:
            p = subprocess.run([cc, "-O2", "-fopenmp"] + isa + [PEAK_SRC, "-o", binary],
                               capture_output=True, text=True)
        except OSError:
            continue
        if p.returncode == 0:
            return binary, None
        err = p.stderr.strip().splitlines()[-1:] or ["?"]
        return None, f"not measured ({cc} could not build peak_fma.c: {err[0]})"
    return None, "not measured (no gcc or cc to build peak_fma.c)"


_LINE = re.compile(r"^(AVX-512 zmm|AVX2 ymm)\s*FMA, (\d+) thread\(s\): ([0-9.]+) GFLOP/s")


def parse_peak(text):
    """{"isa": "AVX-512 zmm", "threads": T, "gflops": x} for the widest vector in peak_fma's
    output (its "effective clock" line is ignored: unreliable on VMs), or None."""
    found = {}
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m:
            found[m.group(1)] = {"isa": m.group(1), "threads": int(m.group(2)),
                                 "gflops": float(m.group(3))}
    return found.get("AVX-512 zmm") or found.get("AVX2 ymm")


def measure_peak(binary, threads_list, log):
    """Runs peak_fma with OMP_NUM_THREADS=T for each T: {str(T): {isa, threads, gflops}}."""
    res = {}
    for t in threads_list:
        env = dict(os.environ, OMP_NUM_THREADS=str(t))
        try:
            out = subprocess.run([binary, PEAK_ITERS], capture_output=True, text=True, env=env,
                                 timeout=600).stdout
        except (OSError, subprocess.SubprocessError) as e:
            log(f"peak_fma, {t} thread(s): failed ({e})")
            continue
        p = parse_peak(out)
        if p:
            res[str(t)] = p
            log(f"peak_fma, {t} thread(s): {p['isa']} {p['gflops']:.1f} GFLOP/s")
    return res


def combine_peak(start, end, why=None):
    """The report's peak: both measurements and, per thread count, the higher of the two;
    per_core is the 1-thread value (None when not measured)."""
    best = {}
    for m in (start or {}, end or {}):
        for t, p in m.items():
            if t not in best or p["gflops"] > best[t]["gflops"]:
                best[t] = p
    per_core = best["1"]["gflops"] if "1" in best else None
    return {"start": start or {}, "end": end or {}, "best": best, "per_core": per_core,
            "isa": best["1"]["isa"] if "1" in best else None,
            "why": why if per_core is None else None}


def host_cpu_info(nnc_bench):
    """LLVM's host CPU name and vector width, from a tiny `nnc-bench --gemm` run's report."""
    try:
        out = subprocess.run([nnc_bench, "--gemm", "8,8,8", "--steps", "1", "--repeats", "1",
                              "--json"], capture_output=True, text=True, check=True).stdout
        r = json.loads(out)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None, None
    return r.get("host_cpu"), r.get("host_vector_bits")
