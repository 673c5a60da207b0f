#!/usr/bin/env python3
"""Compiles every example of a Markdown document with nnc, so the docs cannot rot.

usage: run_doc_examples.py NNC DOC.md

Fenced blocks:
  ```nn        must compile: `nnc FILE --emit=ir` exits 0.
  ```nn-error  must fail: exit 1, and stderr contains "error: MESSAGE" for the
               MESSAGE of the block's `// error: MESSAGE` comment line.
A block whose first line is `// file: NAME.nn` is a file other blocks import:
it is written under NAME.nn (not compiled on its own unless it declares a
model). All blocks are written to one temporary directory before any is
compiled. Prints one line per block; exits 1 if any block fails or there are none.
"""
import os
import re
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(nn|nn-error)\s*$")
FILE_NAME = re.compile(r"^//\s*file:\s*(\S+\.nn)\s*$")
EXPECTED = re.compile(r"^\s*//\s*error:\s*(.+?)\s*$", re.M)


def blocks(doc_path):
    """Yields (kind, first line number, text) of each nn fence."""
    with open(doc_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i + 1
        i += 1
        body = []
        while i < len(lines) and lines[i].rstrip() != "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            sys.exit(f"{doc_path}:{start}: unterminated ``` fence")
        yield m.group(1), start + 1, "\n".join(body) + "\n"
        i += 1


def check(nnc, kind, line, path, text):
    """Returns an error description, or None if the block behaves as documented."""
    # Run from the file's directory, as a user would: messages show short paths.
    run = subprocess.run([os.path.abspath(nnc), os.path.basename(path), "--emit=ir"],
                         cwd=os.path.dirname(path), capture_output=True, text=True, timeout=60)
    if kind == "nn":
        if run.returncode != 0:
            return f"does not compile (exit {run.returncode}):\n{run.stderr}"
        return None
    expected = EXPECTED.search(text)
    if not expected:
        return "an nn-error block needs a '// error: MESSAGE' comment"
    if run.returncode != 1:
        return f"should fail with exit 1, got {run.returncode}:\n{run.stderr}"
    if "error: " + expected.group(1) not in run.stderr:
        return f"should report 'error: {expected.group(1)}', got:\n{run.stderr}"
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    nnc, doc = sys.argv[1], sys.argv[2]
    found = list(blocks(doc))
    if not found:
        sys.exit(f"{doc}: no ```nn blocks found")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for n, (kind, line, text) in enumerate(found):
            first = text.split("\n", 1)[0]
            named = FILE_NAME.match(first)
            name = named.group(1) if named else f"example{n + 1}_line{line}.nn"
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            compile_it = not named or re.search(r"^\s*model\s", text, re.M)
            files.append((kind, line, path, text, compile_it))
        for kind, line, path, text, compile_it in files:
            if not compile_it:
                print(f"{doc}:{line}: imported file {os.path.basename(path)}")
                continue
            problem = check(nnc, kind, line, path, text)
            if problem:
                failures += 1
                print(f"{doc}:{line}: FAIL: ```{kind} block {problem}")
            else:
                print(f"{doc}:{line}: ok ({kind})")
    print(f"{len(found)} blocks, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
