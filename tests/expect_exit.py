#!/usr/bin/env python3
"""%expect_exit CODE CMD ARGS...: runs CMD, passes its stdout and stderr
through, and exits 0 iff CMD exited with exactly CODE (lit's `not` accepts any
non-zero code, so it cannot tell a user error, 1, from an internal error, 2).
A CMD killed by a signal always fails."""
import subprocess
import sys

if len(sys.argv) < 3:
    sys.exit("usage: expect_exit.py CODE CMD [ARGS...]")
want = int(sys.argv[1])
p = subprocess.run(sys.argv[2:])
if p.returncode != want:
    print(f"expect_exit: {sys.argv[2]} exited with {p.returncode}, expected {want}", file=sys.stderr)
    sys.exit(1)
