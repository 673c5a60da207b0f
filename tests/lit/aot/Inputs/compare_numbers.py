"""compare_numbers.py c.txt jit.csv [first_column]: every number of the C
program's output agrees with nnc --predict's (from `first_column` on, header
skipped) within 1e-6 relative beyond the digits nnc printed."""
import sys


def printed_half_unit(text):
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10 ** (int(exponent or 0) - decimals)


c_rows = [l.split(",") for l in open(sys.argv[1]).read().splitlines() if l]
j_rows = [l.split(",") for l in open(sys.argv[2]).read().splitlines()[1:] if l]
first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
assert len(c_rows) == len(j_rows), f"{len(c_rows)} rows vs {len(j_rows)}"
worst = 0.0
for i, (c, j) in enumerate(zip(c_rows, j_rows)):
    j = j[first:]
    assert len(c) == len(j), f"row {i + 1}: {c} vs {j}"
    for a, b in zip(c, j):
        diff = abs(float(a) - float(b))
        assert diff <= 1e-6 * abs(float(b)) + printed_half_unit(b), f"row {i + 1}: C {a} vs JIT {b}"
        worst = max(worst, diff / max(abs(float(b)), 1e-30))
print(f"{len(c_rows)} rows agree")
