"""compare_numbers.py [--exact | --relative R] c.txt jit.csv [first_column]:
every number of the C program's output agrees with nnc --predict's (from
`first_column` on, header skipped) within 1e-6 relative (or R) beyond the
digits nnc printed. --exact: the C program's float32 (printed with 9
digits), printed as nnc prints ({:.6g}), is nnc's text."""
import struct
import sys


def printed_half_unit(text):
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10 ** (int(exponent or 0) - decimals)


def as_nnc_prints(c_text):
    return "%.6g" % struct.unpack("f", struct.pack("f", float(c_text)))[0]


args = sys.argv[1:]
exact = "--exact" in args
relative = 1e-6
if "--relative" in args:
    relative = float(args[args.index("--relative") + 1])
    del args[args.index("--relative"):args.index("--relative") + 2]
args = [a for a in args if a != "--exact"]
c_rows = [l.split(",") for l in open(args[0]).read().splitlines() if l]
j_rows = [l.split(",") for l in open(args[1]).read().splitlines()[1:] if l]
first = int(args[2]) if len(args) > 2 else 0
assert len(c_rows) == len(j_rows), f"{len(c_rows)} rows vs {len(j_rows)}"
for i, (c, j) in enumerate(zip(c_rows, j_rows)):
    j = j[first:]
    assert len(c) == len(j), f"row {i + 1}: {c} vs {j}"
    for a, b in zip(c, j):
        if exact:
            assert as_nnc_prints(a) == b, f"row {i + 1}: C {a} vs JIT {b} (not the same float)"
        diff = abs(float(a) - float(b))
        assert diff <= relative * abs(float(b)) + printed_half_unit(b), f"row {i + 1}: C {a} vs JIT {b}"
print(f"{len(c_rows)} rows agree{' exactly' if exact else ''}")
