#!/usr/bin/env python3
"""Where a JIT'd nnc kernel's time goes, by kernel part and by the function running.

Reads a `perf record -g` profile taken with NNC_PERF_MAP=1 (bench/README.md, Profiling): each
sample whose stack passes through the kernel KERNEL (e.g. mlp_784_1024_1024_10_train_step) is
charged to the kernel's part on the stack (KERNEL.fused.N, KERNEL.<op>.<id>: one op or fusion
group, named as in `nnc --emit=llvm`) and, within it, to the leaf function (a GEMM micro-kernel,
a packing routine, libm, the thread pool ...). Standard library only; runs `perf script`.

  python3 bench/perf_parts.py perf.data mlp_784_1024_1024_10_train_step [--min 0.2]
"""
import argparse
import collections
import re
import subprocess
import sys


def stacks(data):
    """The samples' call stacks, leaf first, as symbol names."""
    out = subprocess.run(['perf', 'script', '-i', data, '-F', 'comm,ip,sym'],
                         capture_output=True, text=True, check=True).stdout
    stack = None
    for line in out.split('\n'):
        if not line.strip():
            if stack is not None:
                yield stack
            stack = None
        elif not line.startswith((' ', '\t')):
            if stack is not None:
                yield stack
            stack = []
        elif stack is not None:
            parts = line.strip().split(None, 1)
            sym = parts[1] if len(parts) > 1 else '?'
            yield_sym = re.sub(r'\+0x[0-9a-f]+$', '', re.sub(r' \(.*\)$', '', sym))
            stack.append(yield_sym)
    if stack is not None:
        yield stack


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('data', help='perf.data of `perf record -g` with NNC_PERF_MAP=1')
    ap.add_argument('kernel', help="the kernel's symbol, e.g. mlp_784_1024_1024_10_train_step")
    ap.add_argument('--min', type=float, default=0.2, help='leaves under this %% are not listed')
    a = ap.parse_args()
    total = 0
    parts = collections.Counter()
    leaves = collections.Counter()
    for st in stacks(a.data):
        part = None
        for sym in st:
            if sym.startswith(a.kernel + '.'):
                part = sym[len(a.kernel) + 1:]
                break
            if sym == a.kernel:
                part = '(the kernel function)'
                break
        if part is None:
            continue
        total += 1
        parts[part] += 1
        leaves[(part, st[0])] += 1
    if not total:
        sys.exit(f'no sample has {a.kernel} on its stack (NNC_PERF_MAP=1? perf record -g?)')
    print(f'{total} samples in {a.kernel}')
    for part, n in parts.most_common():
        print(f'{100 * n / total:6.2f}%  {part}')
        for (p, leaf), m in leaves.most_common():
            if p == part and leaf != a.kernel + '.' + part and 100 * m / total >= a.min:
                print(f'        {100 * m / total:6.2f}%  {leaf}')


if __name__ == '__main__':
    main()
