#!/usr/bin/env python3
"""%peak_rss --csv FILE [--factor 1.2] [--allowance-mb 100] CMD ARGS...: runs
CMD, passes its output through, and exits 0 iff CMD exited 0 and its peak
resident set (ru_maxrss of the child) is at most factor x the CSV's float32
data (data rows x columns x 4 bytes) + allowance. The allowance is the process
without data (LLVM, the JIT'd kernels: ~80 MB for a small model). Prints the
figures either way. Memory, not time: deterministic enough to assert."""
import argparse
import resource
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--csv", required=True)
ap.add_argument("--factor", type=float, default=1.2)
ap.add_argument("--allowance-mb", type=float, default=100)
ap.add_argument("cmd", nargs=argparse.REMAINDER)
a = ap.parse_args()

with open(a.csv, "rb") as f:
    columns = f.readline().count(b",") + 1
    rows = sum(1 for line in f if line.strip())
data_mb = rows * columns * 4 / 2**20
limit_mb = a.factor * data_mb + a.allowance_mb
p = subprocess.run(a.cmd)
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"peak_rss: {peak_mb:.1f} MB, limit {limit_mb:.1f} MB "
      f"({a.factor} x {data_mb:.1f} MB float32 data of {rows} x {columns} + {a.allowance_mb:g} MB)")
if p.returncode != 0:
    print(f"peak_rss: {a.cmd[0]} exited with {p.returncode}", file=sys.stderr)
    sys.exit(1)
sys.exit(0 if peak_mb <= limit_mb else 1)
