#!/usr/bin/env python3
"""Round trip of every example model through the IR text form.

usage: roundtrip.py NNC NNC_OPT EXAMPLES_DIR TMP_DIR

For each EXAMPLES_DIR/*.nn that declares a model (layer libraries, which
only other files import, are skipped) and each of --emit=ir and
--emit=ir-train, prints the graph with nnc, reads it back with nnc-opt (which
verifies it) and checks that nnc-opt prints the same text. Prints one line
per case and a diff for each mismatch; exits 1 if any case fails.
"""
import difflib
import glob
import os
import re
import subprocess
import sys

MODEL = re.compile(r"^\s*model\s+[A-Za-z_]\w*\s*\{", re.MULTILINE)


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def check(nnc, nnc_opt, model, emit, tmp):
    name = f"{os.path.basename(model)} --emit={emit}"
    printed = run([nnc, model, f"--emit={emit}"])
    if printed.returncode != 0:
        return f"FAIL {name}: nnc failed:\n{printed.stderr}"
    path = os.path.join(tmp, os.path.basename(model) + f".{emit}.ir")
    with open(path, "w") as f:
        f.write(printed.stdout)
    reread = run([nnc_opt, path])
    if reread.returncode != 0:
        return f"FAIL {name}: nnc-opt rejected it:\n{reread.stderr}"
    if reread.stdout != printed.stdout:
        diff = difflib.unified_diff(printed.stdout.splitlines(), reread.stdout.splitlines(),
                                    "nnc", "nnc-opt", lineterm="")
        return f"FAIL {name}: nnc-opt prints it differently:\n" + "\n".join(diff)
    return None


def main():
    nnc, nnc_opt, examples, tmp = sys.argv[1:5]
    os.makedirs(tmp, exist_ok=True)
    models = []
    for path in sorted(glob.glob(os.path.join(examples, "*.nn"))):
        with open(path) as f:
            if MODEL.search(f.read()):
                models.append(path)
            else:
                print(f"skip {os.path.basename(path)}: no model (a layer library)")
    if not models:
        print(f"FAIL: no models in {examples}")
        return 1
    failures = 0
    for model in models:
        for emit in ("ir", "ir-train"):
            error = check(nnc, nnc_opt, model, emit, tmp)
            failures += error is not None
            print(error or f"ok   {os.path.basename(model)} --emit={emit}")
    print(f"{failures} of {2 * len(models)} round trips failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
