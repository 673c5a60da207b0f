#!/usr/bin/env python3
"""nnw_edit.py IN OUT CODE: writes a changed copy of the .nnw weights file IN
(docs/weights-format.md) to OUT, for tests of bad weights files. CODE is Python
run with `h` (the JSON header, a dict), `t` (the tensor bytes, a bytearray) and
`T` (a dict of h's tensor entries by name); it edits them in place, or sets
`header` to the raw text of the header line. Example:
  nnw_edit.py w.nnw bad.nnw 'T["dense1.b"]["offset"] = -64'"""
import json
import sys

src, dst, code = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
magic_end = data.index(b"\n") + 1
header_end = data.index(b"\n", magic_end) + 1
h = json.loads(data[magic_end:header_end])
t = bytearray(data[header_end:])
T = {e["name"]: e for e in h.get("tensors", [])}
env = {"h": h, "t": t, "T": T, "json": json, "header": None}
exec(code, env)
header = env["header"] if env["header"] is not None else json.dumps(env["h"], separators=(",", ":"))
with open(dst, "wb") as f:
    f.write(data[:magic_end] + header.encode() + b"\n" + bytes(env["t"]))
