#!/usr/bin/python3
"""Peer training/inference throughput of MLPs on this CPU: PyTorch (Debian 1.13.1) and plain numpy.

Copied from ../shared/bench/peers.py (the peer benchmarks shared between projects) with one
addition: --serve, the worker mode bench/run_bench.py uses to interleave the peers with nnc-bench
(one net, one impl, one thread count per process; see serve() below).

  python3 peers.py --size tiny            # both impls, 1 and 2 threads
  python3 peers.py --size all --impl torch --threads 2
  python3 peers.py --serve --impl torch-foreach --dims 784,256,256,10 --batch 128 --loss ce --threads 1
  python3 peers.py --serve --impl torch --cnn mnist --batch 128 --last-batch 64 --threads 1
Sizes (batch): tiny 3-10-1 (32, MSE) | small 64-128-10 (32 and 128, CE) | medium 784-256-256-10 (128, CE)
               | large 784-1024-1024-10 (256, CE).  ReLU hidden, Adam lr 1e-3, float32, synthetic data.
Per config: warm-up, then --repeats timed runs of --steps steps; the median is reported.
GF/s = 6*B*sum(weights) per train step (2 for fwd, 4 for bwd), 2*B*sum(weights) per inference.
--cnn mnist (--serve only): issue 14's mnist convnet as ../shared/bench/cnn_ref.py builds and
trains it (torch only; see cnn_bench below).
"""
import argparse, os, statistics, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import debian_python, wait_quiet, Foreign
debian_python(("numpy", "torch", "threadpoolctl"))
import numpy as np
from threadpoolctl import threadpool_limits, threadpool_info

SIZES = {"tiny": ([3, 10, 1], [32], "mse"), "small": ([64, 128, 10], [32, 128], "ce"),
         "medium": ([784, 256, 256, 10], [128], "ce"), "large": ([784, 1024, 1024, 10], [256], "ce")}


def steps_for(dims, bs, target_s=0.3):
    """number of steps per timed run so that one run takes ~target_s (rough FLOP model)."""
    w = sum(a * b for a, b in zip(dims[:-1], dims[1:]))
    est = 6 * bs * w / 40e9 + 60e-6  # ~40 GF/s + 60 us overhead/step
    return max(20, int(target_s / est))


# ---------------------------------------------------------------- torch
ADAM_KW = {}  # set from --torch-adam


def torch_bench(dims, bs, loss, steps, repeats, nbatches=32):
    import torch
    torch.manual_seed(0)
    layers = []
    for a, b in zip(dims[:-2], dims[1:-1]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(dims[-2], dims[-1]))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, **ADAM_KW)
    X = torch.randn(nbatches, bs, dims[0])
    if loss == "ce":
        Y = torch.randint(0, dims[-1], (nbatches, bs)); lf = torch.nn.CrossEntropyLoss()
    else:
        Y = torch.randn(nbatches, bs, dims[-1]); lf = torch.nn.MSELoss()

    def train(n):
        for i in range(n):
            j = i % nbatches
            opt.zero_grad(set_to_none=True)
            l = lf(net(X[j]), Y[j]); l.backward(); opt.step()

    def infer(n):
        with torch.inference_mode():
            for i in range(n):
                net(X[i % nbatches])

    X1 = X[0, :1].clone()

    def infer1(n):
        with torch.inference_mode():
            for i in range(n):
                net(X1)
    return train, infer, infer1


# ---------------------------------------------------------------- torch, convnet
def cnn_bench(bs, last_batch, nbatches=32):
    """Issue 14's mnist convnet exactly as ../shared/bench/cnn_ref.py --set mnist builds and
    trains it: conv3x3(32) relu maxpool2 conv3x3(64) relu maxpool2 flatten dropout(0.5)
    dense(10); Adam 1e-3 as constructed by default, opt.zero_grad(), cross-entropy; pixels / 255
    in the step, as nnc's model computes x / 255 (cnn_ref.py scales once while loading).
    Synthetic 28x28 images (uniform 0..255) and class ids. Returns {workload: fn(n)}: train
    (batch bs), train_last (the epoch's last batch: the first last_batch rows), infer (eval mode,
    inference_mode, batch bs)."""
    import torch
    import torch.nn as nn
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss()
    X = torch.rand(nbatches, bs, 1, 28, 28) * 255
    Y = torch.randint(0, 10, (nbatches, bs))

    def step(x, y):
        opt.zero_grad(); loss = lossf(m(x / 255), y); loss.backward(); opt.step()

    def train(n):
        m.train()
        for i in range(n):
            step(X[i % nbatches], Y[i % nbatches])

    def train_last(n):
        m.train()
        for i in range(n):
            step(X[i % nbatches, :last_batch], Y[i % nbatches, :last_batch])

    def infer(n):
        m.eval()
        with torch.inference_mode():
            for i in range(n):
                m(X[i % nbatches] / 255)
    fns = {"train": train, "infer": infer}
    if last_batch:
        fns["train_last"] = train_last
    return fns


# ---------------------------------------------------------------- numpy
def numpy_bench(dims, bs, loss, steps, repeats, nbatches=32):
    rng = np.random.default_rng(0)
    f32 = np.float32
    W = [(rng.uniform(-1, 1, (a, b)) / np.sqrt(a)).astype(f32) for a, b in zip(dims[:-1], dims[1:])]
    B = [np.zeros(b, f32) for b in dims[1:]]
    P = W + B
    M = [np.zeros_like(p) for p in P]; V = [np.zeros_like(p) for p in P]
    lr, b1, b2, eps = f32(1e-3), f32(0.9), f32(0.999), f32(1e-8)
    X = rng.standard_normal((nbatches, bs, dims[0]), dtype=f32)
    if loss == "ce":
        Y = rng.integers(0, dims[-1], (nbatches, bs))
    else:
        Y = rng.standard_normal((nbatches, bs, dims[-1]), dtype=f32)
    t = [0]
    L = len(W)

    def forward(x):
        acts = [x]
        for k in range(L):
            z = acts[-1] @ W[k]; z += B[k]
            if k < L - 1:
                np.maximum(z, 0, out=z)
            acts.append(z)
        return acts

    def train(n):
        for i in range(n):
            j = i % nbatches
            acts = forward(X[j]); out = acts[-1]
            if loss == "ce":
                e = np.exp(out - out.max(1, keepdims=True)); e /= e.sum(1, keepdims=True)
                e[np.arange(bs), Y[j]] -= 1; g = e / f32(bs)
            else:
                g = (out - Y[j]) * f32(2.0 / out.size)
            gW, gB = [None] * L, [None] * L
            for k in range(L - 1, -1, -1):
                gW[k] = acts[k].T @ g; gB[k] = g.sum(0)
                if k > 0:
                    g = g @ W[k].T; g *= (acts[k] > 0)
            t[0] += 1
            c1 = f32(1 - b1 ** t[0]); c2 = f32(1 - b2 ** t[0])
            for p, gr, m, v in zip(P, gW + gB, M, V):
                m *= b1; m += (1 - b1) * gr
                v *= b2; v += (1 - b2) * gr * gr
                p -= (lr / c1) * m / (np.sqrt(v / c2) + eps)

    def infer(n):
        for i in range(n):
            forward(X[i % nbatches])

    X1 = X[0, :1].copy()

    def infer1(n):
        for i in range(n):
            forward(X1)
    return train, infer, infer1


def timeit(fn, steps, repeats):
    fn(max(5, steps // 5))  # warm-up
    ts = []
    with Foreign() as fg:
        for _ in range(repeats):
            t0 = time.perf_counter(); fn(steps); ts.append((time.perf_counter() - t0) / steps)
    return statistics.median(ts), min(ts), fg.frac


def calibrate(fn, min_time, warmup=0.1):
    """Warm up for about `warmup` s (at least 2 calls), return the steps that take ~min_time s
    (the protocol of tools/nnc-bench/timing.h)."""
    fn(1)
    n, spent = 1, 0.0
    while True:
        t0 = time.perf_counter(); fn(n); t = time.perf_counter() - t0
        spent += t
        if spent >= warmup and t >= 0.02:
            return max(1, round(min_time / max(t / n, 1e-9)))
        n *= 2


def serve(a):
    """Worker for run_bench.py: builds one impl's net, warms up and calibrates train and infer
    (with --cnn --last-batch also train_last), prints a JSON line describing itself, then
    answers each stdin line "train [STEPS]", "infer [STEPS]" (or "train_last [STEPS]") with
    one timed run {"name", "steps", "sec": seconds per step}; "quit" or end of input ends it."""
    import json
    import torch
    batch = a.batch[0]
    torch.set_num_threads(a.threads[0])
    limiter = threadpool_limits(limits=a.threads[0])  # noqa: F841 (kept for the process' life)
    if a.cnn:
        if a.impl != "torch":
            sys.exit("peers.py: --cnn has only the torch impl")
        dims = a.cnn
        fns = cnn_bench(batch, a.last_batch)
    else:
        dims = [int(d) for d in a.dims.split(",")]
        if a.impl == "torch-foreach":
            ADAM_KW["foreach"] = True
        mk = numpy_bench if a.impl == "numpy" else torch_bench
        train, infer, _ = mk(dims, batch, a.loss, 0, 0)
        fns = {"train": train, "infer": infer}
    steps = {k: calibrate(f, a.min_time) for k, f in fns.items()}
    blas = [(i.get("internal_api"), i.get("version"), i.get("architecture"), i.get("num_threads"))
            for i in threadpool_info() if i.get("user_api") == "blas"]
    print(json.dumps({"impl": a.impl, "dims": dims, "batch": batch, "threads": a.threads[0],
                      "torch": torch.__version__, "numpy": np.__version__, "blas": blas,
                      "torch_threads": torch.get_num_threads(),
                      "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
                      "steps": steps}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] not in fns:
            print(json.dumps({"error": "unknown workload " + words[0]}), flush=True)
            continue
        n = int(words[1]) if len(words) > 1 else steps[words[0]]
        t0 = time.perf_counter(); fns[words[0]](n); sec = (time.perf_counter() - t0) / n
        print(json.dumps({"name": words[0], "steps": n, "sec": sec}), flush=True)
    print("{}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true", help="worker mode for run_bench.py (needs "
                    "--impl torch|torch-foreach|numpy, --dims, --batch, --loss, one --threads)")
    ap.add_argument("--dims", help="--serve: layer widths, e.g. 784,256,256,10")
    ap.add_argument("--loss", default="ce", choices=["ce", "mse"], help="--serve: the loss")
    ap.add_argument("--cnn", choices=["mnist"], help="--serve: issue 14's mnist convnet instead "
                    "of an MLP (--impl torch)")
    ap.add_argument("--last-batch", type=int, default=0, help="--serve --cnn: also time a step "
                    "on this many rows (workload train_last)")
    ap.add_argument("--min-time", type=float, default=0.3, help="--serve: seconds per timed run")
    ap.add_argument("--size", default="all", choices=list(SIZES) + ["all"])
    ap.add_argument("--impl", default="all", choices=["torch", "numpy", "all", "torch-foreach"])
    ap.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--batch", type=int, nargs="*", help="override batch sizes (--serve: one)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, help="steps per timed run (default: ~0.3 s worth)")
    ap.add_argument("--no-wait", action="store_true", help="don't wait for an idle machine")
    ap.add_argument("--torch-adam", default="default", choices=["default", "foreach"],
                    help="torch.optim.Adam as constructed by default, or with foreach=True (much faster "
                         "in Debian's torch 1.13: its single-tensor Adam spends ~50%% of a step in aten::div)")
    ap.add_argument("--tries", type=int, default=4, help="re-measure while background load >10%%")
    a = ap.parse_args()
    if a.serve:
        return serve(a)
    if a.impl == "torch-foreach":
        a.impl, a.torch_adam = "torch", "foreach"
    import torch
    if a.torch_adam == "foreach":
        ADAM_KW["foreach"] = True
    blas = [(i.get("internal_api"), i.get("version"), i.get("architecture")) for i in threadpool_info()
            if i.get("user_api") == "blas"]
    print(f"# torch {torch.__version__}, numpy {np.__version__}, BLAS {blas}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}, torch Adam {a.torch_adam}")
    print("| impl | threads | net | batch | train ms/step | train samples/s | train GF/s | infer ms/batch "
          "| infer samples/s | infer b=1 us | bg load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    sizes = list(SIZES) if a.size == "all" else [a.size]
    impls = ["torch", "numpy"] if a.impl == "all" else [a.impl]
    for size in sizes:
        dims, batches, loss = SIZES[size]
        w = sum(x * y for x, y in zip(dims[:-1], dims[1:]))
        for bs in (a.batch or batches):
            steps = a.steps or steps_for(dims, bs)
            for impl in impls:
                for th in a.threads:
                    best = None
                    for attempt in range(a.tries):  # retry while other processes took >10% CPU
                        if not a.no_wait:
                            wait_quiet()
                        with threadpool_limits(limits=th):
                            torch.set_num_threads(th)
                            mk = torch_bench if impl == "torch" else numpy_bench
                            train, infer, infer1 = mk(dims, bs, loss, steps, a.repeats)
                            tr, _, fg1 = timeit(train, steps, a.repeats)
                            inf, _, fg2 = timeit(infer, steps, a.repeats)
                            i1, _, fg3 = timeit(infer1, steps, a.repeats)
                        if best is None or max(fg1, fg2, fg3) < best[3]:
                            best = (tr, inf, i1, max(fg1, fg2, fg3))
                        if best[3] < 0.1:
                            break
                    tr, inf, i1, fg1 = best; fg2 = fg3 = fg1
                    print(f"| {impl} | {th} | {'-'.join(map(str, dims))} | {bs} | {tr * 1e3:.4f} | {bs / tr:,.0f} | "
                          f"{6 * bs * w / tr / 1e9:.1f} | {inf * 1e3:.4f} | {bs / inf:,.0f} | {i1 * 1e6:.1f} | "
                          f"{max(fg1, fg2, fg3):.0%} |", flush=True)


if __name__ == "__main__":
    main()
