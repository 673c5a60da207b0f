"""Compares the C example's predictions with `nnc --predict` (the JIT's).

usage: compare_predictions.py [--exact] c.csv jit.csv labels.csv eval.txt

Both files: a header row, then `class,p_0,p_1,...` per row. Every row must
predict the same class, and every probability must agree within 1e-6
relative beyond the 6 significant digits nnc prints; with --exact, each of
the C program's probabilities (printed with 9 digits: the float32 itself),
printed as nnc prints (6 significant digits), must be nnc's text. The
accuracy of both on labels.csv (last column) must equal the accuracy
`nnc --eval` reported.
"""
import math
import re
import struct
import sys


def rows(path):
    lines = open(path).read().splitlines()
    return lines[0], [line.split(",") for line in lines[1:] if line]


def as_nnc_prints(c_text):
    """The float32 that C printed with %.9g, as nnc prints it ({:.6g})."""
    return "%.6g" % struct.unpack("f", struct.pack("f", float(c_text)))[0]


def close(c, jit_text):
    j = float(jit_text)
    printed = 0.5 * 10 ** (math.floor(math.log10(abs(j))) - 5) if j else 0.0
    return abs(c - j) <= 1e-6 * abs(j) + printed


def main(c_path, jit_path, labels_path, eval_path, exact=False):
    c_head, c_rows = rows(c_path)
    j_head, j_rows = rows(jit_path)
    assert c_head == j_head, f"headers differ: {c_head!r} vs {j_head!r}"
    assert len(c_rows) == len(j_rows), f"{len(c_rows)} rows vs {len(j_rows)}"
    for i, (c, j) in enumerate(zip(c_rows, j_rows)):
        assert c[0] == j[0], f"row {i + 1}: C predicts {c[0]}, the JIT {j[0]}"
        for a, b in zip(c[1:], j[1:]):
            if exact:
                assert as_nnc_prints(a) == b, f"row {i + 1}: C {a} vs JIT {b} (not the same float)"
            else:
                assert close(float(a), b), f"row {i + 1}: C {a} vs JIT {b}"
    labels = [line.split(",")[-1] for line in open(labels_path).read().splitlines()[1:] if line]
    assert len(labels) == len(c_rows)
    acc_c = sum(c[0] == y for c, y in zip(c_rows, labels)) / len(labels)
    acc_j = sum(j[0] == y for j, y in zip(j_rows, labels)) / len(labels)
    reported = float(re.search(r"eval accuracy ([0-9.]+)", open(eval_path).read()).group(1))
    assert acc_c == acc_j, f"accuracy {acc_c} vs {acc_j}"
    assert abs(acc_c - reported) < 5e-5, f"accuracy {acc_c} but nnc --eval says {reported}"
    print(f"same predictions for {len(c_rows)} rows{' (exactly)' if exact else ''}; accuracy {acc_c:.4f} (JIT {acc_j:.4f}, "
          f"nnc --eval {reported})")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--exact"]
    main(*args, exact=len(args) < len(sys.argv) - 1)
