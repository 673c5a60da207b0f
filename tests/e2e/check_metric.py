#!/usr/bin/env python3
"""Checks a metric in nnc's training output (read from stdin) against a bound.

  nnc m.nn --train a.csv --test b.csv | check_metric.py --metric "test accuracy" --min 0.90
  nnc m.nn --train a.csv | check_metric.py --loss-falls 0.5   # last epoch loss <= 0.5 * first
  check_metric.py --metric "test accuracy" --min 0.97 --mean run1.txt run2.txt run3.txt
      # the mean over several runs' outputs (files) against the bound

Echoes the output, then prints the verdict; exits 1 when the bound is not met.
"""
import argparse
import re
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--metric", help='e.g. "test accuracy" or "test mae"')
    ap.add_argument("--min", type=float)
    ap.add_argument("--max", type=float)
    ap.add_argument("--loss-falls", type=float, metavar="RATIO",
                    help="require last epoch loss <= RATIO * first epoch loss")
    ap.add_argument("--mean", nargs="+", metavar="FILE",
                    help="check the mean of --metric over these outputs instead of stdin")
    args = ap.parse_args()

    def metric(text):
        prefix, name = args.metric.split(" ", 1)
        m = re.search(r"^%s .*?\b%s ([-+0-9.eE]+|nan|inf)" % (re.escape(prefix), re.escape(name)), text, re.M)
        return float(m.group(1)) if m else None

    if args.mean:
        values = []
        for path in args.mean:
            with open(path) as f:
                value = metric(f.read())
            if value is None:
                print(f"check_metric: FAIL: no '{args.metric}' in {path}")
                return 1
            values.append(value)
        mean = sum(values) / len(values)
        ok = (args.min is None or mean >= args.min) and (args.max is None or mean <= args.max)
        print(f"check_metric: {args.metric} {values}, mean {mean:.6f} (min {args.min}, max {args.max}): "
              f"{'PASS' if ok else 'FAIL'}")
        return 0 if ok else 1
    text = sys.stdin.read()
    sys.stdout.write(text)
    ok = True
    if args.metric:
        value = metric(text)
        if value is None:
            print(f"check_metric: FAIL: no '{args.metric}' in the output")
            return 1
        if args.min is not None and not value >= args.min:
            ok = False
        if args.max is not None and not value <= args.max:
            ok = False
        print(f"check_metric: {args.metric} = {value} (min {args.min}, max {args.max}): "
              f"{'PASS' if ok else 'FAIL'}")
    if args.loss_falls is not None:
        losses = [float(x) for x in re.findall(r"^epoch\s+\d+/\d+\s+loss ([-+0-9.eE]+|nan|inf)", text, re.M)]
        if len(losses) < 2:
            print("check_metric: FAIL: fewer than two epoch lines")
            return 1
        falls = losses[-1] <= args.loss_falls * losses[0]
        print(f"check_metric: loss {losses[0]} -> {losses[-1]} (need <= {args.loss_falls} x first): "
              f"{'PASS' if falls else 'FAIL'}")
        ok = ok and falls
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
