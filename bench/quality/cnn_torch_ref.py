#!/usr/bin/python3
"""The PyTorch reference of issue 14's three convolutional nets, run through the shared script
../shared/bench/cnn_ref.py (not a copy: the issue's figures come from it), and its figures stored
in bench/quality/torch_spread.json, so run_quality.py can compare nnc with them without PyTorch.

    nice -n 10 /usr/bin/python3 bench/quality/cnn_torch_ref.py digits_cnn mnist_cnn mnist_bn_cnn
    /usr/bin/python3 bench/quality/cnn_torch_ref.py mnist_cnn --seeds 4 5 --no-write   # print only

Needs PyTorch (Debian python3-torch, 1.13; use /usr/bin/python3), as cnn_ref.py does. Each row
runs `cnn_ref.py --data DATA/split --set SET --seeds ...` (one thread, its default) once and reads
its "SET seed N: test accuracy X %" lines. The entry written per row (rows digits_cnn, mnist_cnn,
mnist_bn_cnn; an older entry over other seeds or figures moves to its "history", as torch_ref.py
does) holds the seeds, per_seed accuracy in percent (cnn_ref.py prints 2 decimals), mean, sample
std (n - 1), test_rows, each seed's seconds (load + train, as cnn_ref.py prints them: the
machine's load goes into them), the PyTorch version, the date and the command, with the paths relative
to the repository's parent directory (the one holding shared/).
"""

import argparse
import datetime
import json
import math
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PARENT = os.path.dirname(REPO)
DEFAULT_DATA = os.path.join(PARENT, "shared", "data")
DEFAULT_SCRIPT = os.path.join(PARENT, "shared", "bench", "cnn_ref.py")
DEFAULT_JSON = os.path.join(HERE, "torch_spread.json")

# row name (run_quality.py's and torch_spread.json's) -> cnn_ref.py's --set, test rows
SETS = {"digits_cnn": ("digits", 360), "mnist_cnn": ("mnist", 2000),
        "mnist_bn_cnn": ("mnist_bn", 2000)}
LINE_RE = re.compile(r"^(\w+) seed (\d+): test accuracy ([0-9.]+) %.*\bload ([0-9.]+) s\s+train ([0-9.]+) s")


def torch_version():
    out = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return out.strip()


def run_set(script, data, name, seeds):
    """Runs cnn_ref.py once for the row; returns ({seed: (accuracy %, seconds)}, the command as
    stored). The seconds are cnn_ref.py's load + train time of the seed (one thread)."""
    kind = SETS[name][0]
    cmd = [sys.executable, script, "--data", os.path.join(data, "split"), "--set", kind,
           "--seeds"] + [str(s) for s in seeds]
    shown = " ".join(os.path.relpath(c, PARENT) if os.path.isabs(c) and c.startswith(PARENT + os.sep)
                     else c for c in cmd)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    found = {}
    for line in proc.stdout:
        print(line, end="", flush=True)
        m = LINE_RE.match(line)
        if m and m.group(1) == kind:
            found[int(m.group(2))] = (float(m.group(3)), float(m.group(4)) + float(m.group(5)))
    if proc.wait() != 0:
        sys.exit("cnn_torch_ref.py: %s failed (exit %d)" % (shown, proc.returncode))
    missing = [s for s in seeds if s not in found]
    if missing:
        sys.exit("cnn_torch_ref.py: no accuracy for seeds %s in the output of %s" % (missing, shown))
    return found, shown


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="+", metavar="NAME", help="rows: " + ", ".join(SETS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3],
                    help="seeds (default 1 2 3, those of run_quality.py)")
    ap.add_argument("--data", default=DEFAULT_DATA, help="the shared data directory holding split/")
    ap.add_argument("--script", default=DEFAULT_SCRIPT, help="cnn_ref.py")
    ap.add_argument("--json", default=DEFAULT_JSON, help="the JSON file to update")
    ap.add_argument("--no-write", action="store_true", help="print only, leave the JSON alone")
    args = ap.parse_args()
    unknown = [n for n in args.names if n not in SETS]
    if unknown:
        sys.exit("cnn_torch_ref.py: unknown row %s; known: %s" % (", ".join(unknown), ", ".join(SETS)))
    if len(args.seeds) < 2 or len(set(args.seeds)) != len(args.seeds):
        sys.exit("cnn_torch_ref.py: give at least two distinct seeds (the std needs them)")
    version = torch_version()
    for name in args.names:
        found, shown = run_set(args.script, args.data, name, args.seeds)
        values = [found[s][0] for s in args.seeds]
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        print("%-13s %d seeds: mean %.4f  std %.4f  min %.2f  max %.2f" % (
            name, len(values), mean, std, min(values), max(values)), flush=True)
        if args.no_write:
            continue
        entry = {
            "metric": "accuracy %",
            "seeds": list(args.seeds),
            "per_seed": values,
            "mean": round(mean, 6),
            "std": round(std, 6),
            "torch_version": version,
            "date": datetime.date.today().isoformat(),
            "test_rows": SETS[name][1],
            "seconds": [round(found[s][1], 2) for s in args.seeds],
            "command": shown,
        }
        store(args.json, name, entry)


def store(path, name, entry):
    """Merges the entry into the JSON (re-read: another run may have written), keeping an older
    entry over other seeds or with other figures under "history"; rows in torch_ref.py's order,
    then these."""
    sys.path.insert(0, HERE)
    from torch_ref import ROWS, dumps, replace_keeping_history  # the MLP rows' file layout
    table = {}
    if os.path.exists(path):
        with open(path) as f:
            table = json.load(f)
    replace_keeping_history(table, name, entry)
    order = [r.name for r in ROWS] + list(SETS)
    ordered = {n: table[n] for n in order if n in table}
    ordered.update({n: v for n, v in table.items() if n not in ordered})
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(dumps(ordered))
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
