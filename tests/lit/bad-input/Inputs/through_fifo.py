#!/usr/bin/env python3
"""through_fifo.py CMD ARGS...: runs CMD with the argument @FIFO replaced by a
named pipe in a fresh directory, then prints what CMD wrote through the pipe
and whether the pipe is still one (an output renamed over it is not). CMD's
output to the pipe must fit the pipe's buffer (64 KiB): it is read after CMD
exits. Exits with CMD's exit code."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

d = tempfile.mkdtemp()
fifo = os.path.join(d, "out")
os.mkfifo(fifo)
reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so CMD's open does not block
p = subprocess.run([fifo if a == "@FIFO" else a for a in sys.argv[1:]], stdout=subprocess.DEVNULL)
data = b""
try:
    while chunk := os.read(reader, 65536):
        data += chunk
except BlockingIOError:
    pass
still = stat.S_ISFIFO(os.lstat(fifo).st_mode)
print("through the pipe:", data.decode(errors="replace"), sep="\n")
print("still a pipe:", "yes" if still else "no")
print("other files:", sorted(set(os.listdir(d)) - {"out"}))
shutil.rmtree(d)
sys.exit(p.returncode)
