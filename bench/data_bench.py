#!/usr/bin/env python3
"""The harness's `data` row: reading one CSV into float32 with nnc, NumPy and pandas.

    python3 bench/data_bench.py [--size 200M] [--repeats 3] [--nnc-bench build/bin/nnc-bench]
                                [--update docs/performance.md]

A seeded synthetic CSV (bench/gen_csv.py: 20 features and a regression target,
~11 bytes a cell) is written to a temporary directory; then, each in a fresh
process and --repeats times (median time, highest peak RSS):
  nnc          nnc-bench --data FILE: runtime::loadDataset streaming the CSV into
               float32 records (no data cache kept), then one pass over the values;
  nnc cached   nnc-bench --data FILE --data-cache DIR after a first such run built the
               cache: mapping the binary cache, then one pass over the values;
  NumPy        numpy.loadtxt(FILE, delimiter=",", skiprows=1, dtype=float32);
  pandas       pandas.read_csv(FILE, dtype=float32) (the C engine) then .to_numpy().
MB/s is the CSV's size over the wall time until every value has been read
once (each tool times itself: for nnc, loading then one pass over the values,
as the mapped file is read lazily; for NumPy and pandas, the load); peak RSS is the process's ru_maxrss, start-up (Python, imports, LLVM)
included, so the float32 data's own size is given next to it.

`run_bench.py` calls bench_data(), `report.py` render_data(); --update replaces the
section "## Reading a CSV" of an existing report with this run's, leaving the
rest as it is (the full harness takes 20-40 minutes).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PEER_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
SECTION = "## Reading a CSV"

PY_READER = r"""
import json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
import numpy as np
if kind == "pandas":
    import pandas as pd
t0 = time.perf_counter()
if kind == "numpy":
    x = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    version = np.__version__
else:
    x = pd.read_csv(path, dtype=np.float32).to_numpy()
    version = pd.__version__
sec = time.perf_counter() - t0
print(json.dumps({"load_s": sec, "rows": int(x.shape[0]), "checksum": float(x.sum(dtype=np.float64)),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "version": version}))
"""


def run_json(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({out.returncode}): {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout)


def bench_data(size, repeats, nnc_bench, tmp, log=lambda m: print(m, file=sys.stderr)):
    csv = os.path.join(tmp, "data.csv")
    subprocess.run([sys.executable, os.path.join(HERE, "gen_csv.py"), csv, "--size", size,
                    "--seed", "1"], check=True)
    mb = os.path.getsize(csv) / 1e6
    cache = os.path.join(tmp, "cache")
    readers = {
        "nnc": [nnc_bench, "--data", csv, "--json"],
        "nnc cached": [nnc_bench, "--data", csv, "--data-cache", cache, "--json"],
        "NumPy loadtxt": [PEER_PYTHON, "-c", PY_READER, "numpy", csv],
        "pandas read_csv": [PEER_PYTHON, "-c", PY_READER, "pandas", csv],
    }
    subprocess.run(readers["nnc cached"], capture_output=True, check=True)  # builds the cache
    runs = {k: [] for k in readers}
    for i in range(repeats):  # interleaved
        for name, cmd in readers.items():
            log(f"data: {name}, run {i + 1}/{repeats}")
            runs[name].append(run_json(cmd))
    first = runs["nnc"][0]
    rows, columns = first["rows"], first["columns"]
    result = {"size": size, "file_mb": mb, "rows": rows, "columns": columns,
              "float32_mb": rows * columns * 4 / 1e6, "readers": {}}
    for name, rs in runs.items():
        sec = statistics.median(r.get("read_s", r["load_s"]) for r in rs)
        result["readers"][name] = {
            "load_s": sec, "mb_per_s": mb / sec,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
            "rows": rs[0]["rows"], "version": rs[0].get("version"),
            "cpu_mb_per_s": statistics.median(r["mb_per_cpu_s"] for r in rs)
            if "mb_per_cpu_s" in rs[0] else None}
    return result


def render_data(d, cpu):
    L = [SECTION, ""]
    L.append(f"One synthetic CSV (`bench/gen_csv.py --size {d['size']} --seed 1`: {d['rows']:,} "
             f"rows of {d['columns'] - 1} features and a target, {d['file_mb']:.0f} MB; "
             f"{d['float32_mb']:.0f} MB as float32) read into float32 by each tool in a fresh "
             f"process; median time of the runs, highest peak RSS (start-up included: Python "
             f"and its imports, or nnc-bench with LLVM). CPU: {cpu}. `bench/data_bench.py` "
             "(issue 12). Time: until every value was read once (nnc: the load, then one pass "
             "over the mapped values). *CPU MB/s*: nnc's load alone per CPU second.")
    L.append("")
    L.append("| reader | s | MB/s | CPU MB/s | peak RSS MB | ratio of nnc's time |")
    L.append("|---|---:|---:|---:|---:|---:|")
    base = d["readers"]["nnc"]["load_s"]
    for name, r in d["readers"].items():
        ver = f" {r['version']}" if r.get("version") else ""
        cpu_rate = f"{r['cpu_mb_per_s']:.0f}" if r.get("cpu_mb_per_s") and name == "nnc" else ""
        L.append(f"| {name}{ver} | {r['load_s']:.3f} | {r['mb_per_s']:.0f} | {cpu_rate} | "
                 f"{r['peak_rss_mb']:.0f} | {r['load_s'] / base:.2f} |")
    L.append("")
    L.append("*nnc* streams the CSV (libcsv, `std::from_chars`) into float32 records in a "
             "temporary file it then maps; *nnc cached* maps the binary cache an earlier run "
             "left (`$XDG_CACHE_HOME/nnc/data`, reused while the CSV is unchanged).")
    L.append("")
    return "\n".join(L)


def cpu_model():
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def update_report(path, section):
    with open(path) as f:
        text = f.read()
    start = text.find(SECTION)
    if start < 0:
        anchor = text.find("## How to reproduce")
        text = (text[:anchor] + section + "\n" + text[anchor:]) if anchor >= 0 else text + "\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="200M", help="CSV size (gen_csv.py --size), default 200M")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--nnc-bench", default=os.path.join(REPO, "build", "bin", "nnc-bench"))
    ap.add_argument("--update", help="replace the data section of this Markdown report")
    ap.add_argument("--json", help="also write the raw results here")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="nnc-data-bench-") as tmp:
        d = bench_data(a.size, a.repeats, a.nnc_bench, tmp)
    section = render_data(d, cpu_model())
    print(section)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(d, f, indent=1)
    if a.update:
        update_report(a.update, section)


if __name__ == "__main__":
    main()
