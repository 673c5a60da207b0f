"""Issue 14's rows of the harness: the mnist convnet (examples/mnist_cnn.nn) against PyTorch and
oneDNN, run by run_bench.py (all of it, or alone with --cnn-only), rendered by report_cnn.py.

  train    an epoch of mnist_10k's 8000 rows at batch 128: 62 training steps of 128 rows plus
           the last step of 64, each implementation's median step times (step x 62 + last step;
           synthetic batches, no data loading or shuffling on either side). nnc: nnc-bench on
           the model with --last-batch 64 (the same kernel on 64 rows, as runtime::Trainer runs
           an epoch's partial batch); PyTorch: peers.py --cnn mnist (the net and step of
           ../shared/bench/cnn_ref.py). The same workers time inference of a batch of 128, with
           oneDNN's bench/dnnl_cnn.c (forward_inference primitives) beside them.
  infer    inference of larger batches (1000): nnc-bench --batch 1000 (only "infer" is asked
           for), PyTorch, dnnl_cnn.
  convs    each convolution of the net, forward / backward-data / backward-weights: nnc-bench
           --conv against bench/dnnl_conv.c --serve on the same shape and threads; which passes
           nnc's training step computes is read from nnc-bench's report of the model ("convs").
  compile  examples/mnist_cnn.nn from source to a JIT'd training step, `nnc-bench
           --compile-only` in fresh processes, median of >= 5.
Every row: server processes interleaved round by round, medians, quiet-waits and the others'
CPU share, as for the MLP rows (benchutil.rounds). Standard library only.
"""
import json
import os
import statistics
import subprocess
import sys

import openblas
from benchutil import Foreign, Worker, rounds, wait_quiet
from nets import (CNN_BATCH, CNN_CONVS, CNN_INFER_BATCHES, CNN_LAST_BATCH, CNN_MODEL,
                  CONV_PASSES)

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def thr(n):
    return f"{n} thread" + ("" if n == 1 else "s")


def build_tools(tmp):
    """Compiles dnnl_conv.c and dnnl_cnn.c into tmp: {"dnnl_conv": path, "dnnl_cnn": path}."""
    out = {}
    for name in ("dnnl_conv", "dnnl_cnn"):
        out[name] = os.path.join(tmp, name)
        subprocess.run(["gcc", "-O2", "-fopenmp", os.path.join(HERE, name + ".c"), "-ldnnl", "-o",
                        out[name]], check=True)
    return out


def torch_cmd(tools, batch, threads, min_time, last_batch=0):
    return tools["peer_env"] + [
        f"OMP_NUM_THREADS={threads}", tools["python"], os.path.join(HERE, "peers.py"), "--serve",
        "--impl", "torch", "--cnn", "mnist", "--batch", str(batch), "--threads", str(threads),
        "--min-time", str(min_time)] + (["--last-batch", str(last_batch)] if last_batch else [])


def onednn_cmd(tools, binary, threads, min_time, arg):
    return tools["peer_env"] + [f"OMP_NUM_THREADS={threads}", tools[binary], "--serve",
                                "--min-time", str(min_time), str(arg)]


def nnc_cmd(tools, threads, min_time, *args):
    return [tools["nnc-bench"], *args, "--threads", str(threads), "--serve", "--min-time",
            str(min_time)]


def commands(tools, min_time):
    """The workers' command lines for the report, threads and shape as placeholders."""
    shape = "N,C,H,W,F,KH,KW,PAD"
    return [nnc_cmd(tools, "T", min_time, CNN_MODEL, "--batch", str(CNN_BATCH), "--last-batch",
                    str(CNN_LAST_BATCH)),
            torch_cmd(tools, CNN_BATCH, "T", min_time, CNN_LAST_BATCH),
            onednn_cmd(tools, "dnnl_cnn", "T", min_time, CNN_BATCH),
            nnc_cmd(tools, "T", min_time, "--conv", shape),
            onednn_cmd(tools, "dnnl_conv", "T", min_time, shape)]


def check_net(info):
    """nnc-bench's report of the model must show the convolutions the peers build."""
    fwd = [(c["x"], c["w"]) for c in info.get("convs", []) if c["pass"] == "forward"]
    want = [(c.x, c.w) for c in CNN_CONVS]
    if fwd != want:
        raise RuntimeError(f"{CNN_MODEL}: its forward convolutions {fwd} are not the ones "
                           f"peers.py --cnn mnist, dnnl_cnn.c and nets.CNN_CONVS have {want}")


def step_passes(info):
    """{conv name: [passes nnc's training step computes]} from nnc-bench's "convs" report."""
    out = {}
    for c in CNN_CONVS:
        out[c.name] = [p for p in CONV_PASSES if any(
            k["pass"] == p and k["x"] == c.x and k["w"] == c.w for k in info.get("convs", []))]
    return out


def interleave(a, workers, order, what):
    """Rounds of `order` [(worker key, request)]; returns the medians, the runs and the highest
    others' share of the kept rounds."""
    pids = [w.p.pid for w in workers.values()]

    def one_round():
        return {f"{k}/{req}": workers[k].request(req)["sec"] for k, req in order}
    kept, loads = rounds(a, pids, one_round, what)
    keys = list(kept[0])
    return ({k: statistics.median(r[k] for r in kept) for k in keys},
            {k: [r[k] for r in kept] for k in keys}, max(loads))


def start(a, what):
    waited, quiet = wait_quiet(max_wait=a.max_wait, verbose=False) if a.max_wait > 0 else (0, None)
    log(f"{what}: starting workers" + (f" (waited {waited:.0f} s for a quiet machine"
                                       f"{'' if quiet else ', still busy'})" if a.max_wait > 0 else ""))
    return waited, quiet


def close_all(workers):
    last = {}
    for k, w in workers.items():
        if w.p.poll() is None:
            last[k] = w.close()
    return last


def bench_train(a, threads, tools, logdir):
    """The epoch row and inference at batch 128, one thread count."""
    waited, quiet = start(a, f"mnist convnet b{CNN_BATCH}, {thr(threads)}")
    w = {}
    try:
        w["nnc"] = Worker(f"nnc mnist_cnn t{threads}", nnc_cmd(
            tools, threads, a.min_time, CNN_MODEL, "--batch", str(CNN_BATCH), "--last-batch",
            str(CNN_LAST_BATCH)), logdir)
        check_net(w["nnc"].info)
        w["torch"] = Worker(f"torch mnist_cnn t{threads}", torch_cmd(
            tools, CNN_BATCH, threads, a.min_time, CNN_LAST_BATCH), logdir)
        openblas.check_worker(w["torch"], tools.get("openblas", {}).get("used"))
        w["onednn"] = Worker(f"onednn mnist_cnn t{threads}", onednn_cmd(
            tools, "dnnl_cnn", threads, a.min_time, CNN_BATCH), logdir)
        order = [("nnc", "train"), ("torch", "train"), ("nnc", "train_last"),
                 ("torch", "train_last"), ("nnc", "infer"), ("torch", "infer"),
                 ("onednn", "infer")]
        med, runs, load = interleave(a, w, order, f"mnist convnet t{threads}")
        info = {k: x.info for k, x in w.items()}
        last = close_all(w)
    finally:
        close_all(w)
    return {"threads": threads, "batch": CNN_BATCH, "last_batch": CNN_LAST_BATCH,
            "median_sec": med, "runs_sec": runs, "bg_load": load, "waited_s": waited,
            "quiet": quiet, "step_passes": step_passes(info["nnc"]),
            "nnc_compile_ms": info["nnc"]["compile_ms"]["total"],
            "nnc_compile_infer_ms": info["nnc"].get("compile_infer_ms"),
            "nnc_loss": last.get("nnc", {}).get("loss_last_step"),
            "nnc_opt_level": info["nnc"].get("opt_level"), "torch_info": info["torch"],
            "onednn": info["onednn"]}


def check_net_batch(info, batch):
    if info.get("batch") != batch:
        raise RuntimeError(f"nnc-bench ran batch {info.get('batch')}, not {batch}")


def bench_infer(a, batch, threads, tools, logdir):
    """Inference of one batch size (other than the training batch), one thread count."""
    waited, quiet = start(a, f"mnist convnet inference b{batch}, {thr(threads)}")
    w = {}
    try:
        w["nnc"] = Worker(f"nnc mnist_cnn b{batch} t{threads}", nnc_cmd(
            tools, threads, a.min_time, CNN_MODEL, "--batch", str(batch)), logdir)
        check_net_batch(w["nnc"].info, batch)
        w["torch"] = Worker(f"torch mnist_cnn b{batch} t{threads}",
                            torch_cmd(tools, batch, threads, a.min_time), logdir)
        openblas.check_worker(w["torch"], tools.get("openblas", {}).get("used"))
        w["onednn"] = Worker(f"onednn mnist_cnn b{batch} t{threads}",
                             onednn_cmd(tools, "dnnl_cnn", threads, a.min_time, batch), logdir)
        order = [("nnc", "infer"), ("torch", "infer"), ("onednn", "infer")]
        med, runs, load = interleave(a, w, order, f"inference b{batch} t{threads}")
        onednn = w["onednn"].info
        close_all(w)
    finally:
        close_all(w)
    return {"batch": batch, "threads": threads, "median_sec": med, "runs_sec": runs,
            "bg_load": load, "waited_s": waited, "quiet": quiet, "onednn": onednn}


def bench_conv(a, conv, threads, tools, logdir):
    """One convolution's three passes, nnc against oneDNN, one thread count."""
    waited, quiet = start(a, f"{conv.name} {conv.arg}, {thr(threads)}")
    w = {}
    try:
        w["nnc"] = Worker(f"nnc {conv.name} t{threads}", nnc_cmd(
            tools, threads, a.min_time, "--conv", conv.arg), logdir)
        w["onednn"] = Worker(f"onednn {conv.name} t{threads}", onednn_cmd(
            tools, "dnnl_conv", threads, a.min_time, conv.arg), logdir)
        order = [(k, p) for p in CONV_PASSES for k in ("nnc", "onednn")]
        med, runs, load = interleave(a, w, order, f"{conv.name} t{threads}")
        onednn = w["onednn"].info
        close_all(w)
    finally:
        close_all(w)
    gflops = {k: conv.flop / v / 1e9 for k, v in med.items()}
    return {"conv": conv.name, "shape": conv.arg, "threads": threads, "flop": conv.flop,
            "median_sec": med, "gflops": gflops, "runs_sec": runs, "bg_load": load,
            "waited_s": waited, "quiet": quiet, "onednn_impl": onednn.get("impl"),
            "onednn_version": onednn.get("version")}


def bench_compile(a, tools):
    """The mnist convnet from source to a JIT'd training step, fresh processes (LLVM's one-time
    setup included, as a user's `nnc` run pays it)."""
    log(f"compile time: {os.path.relpath(CNN_MODEL, os.path.dirname(HERE))}")
    if a.max_wait > 0:
        wait_quiet(max_wait=a.max_wait, verbose=False)
    reps = []
    with Foreign() as fg:
        for _ in range(max(5, a.repeats)):
            out = subprocess.run([tools["nnc-bench"], CNN_MODEL, "--compile-only", "--json"],
                                 capture_output=True, text=True, check=True)
            reps.append(json.loads(out.stdout)["compile_ms"])
    phases = {k: statistics.median(r[k] for r in reps) for k in reps[0]}
    return {"phases_ms": phases, "runs_ms": [r["total"] for r in reps], "bg_load": fg.frac}


def bench_cnn(a, tools, logdir):
    """All of issue 14's rows: {"train", "infer", "convs", "compile"} (report_cnn.render_cnn)."""
    res = {"train": [], "infer": [], "convs": [], "compile": None}
    for th in a.threads:
        r = bench_train(a, th, tools, logdir)
        res["train"].append(r)
        m = r["median_sec"]
        log(f"  -> step nnc {m['nnc/train'] * 1e3:.4g} ms, torch {m['torch/train'] * 1e3:.4g}; "
            f"inference nnc {m['nnc/infer'] * 1e3:.4g}, oneDNN {m['onednn/infer'] * 1e3:.4g}, "
            f"torch {m['torch/infer'] * 1e3:.4g}")
        for conv in CNN_CONVS:
            c = bench_conv(a, conv, th, tools, logdir)
            res["convs"].append(c)
            log("  -> " + ", ".join(f"{p} {c['gflops']['nnc/' + p]:.1f} vs "
                                    f"{c['gflops']['onednn/' + p]:.1f}" for p in CONV_PASSES)
                + " GFLOP/s")
        for b in CNN_INFER_BATCHES[1:] if not a.quick else []:
            r = bench_infer(a, b, th, tools, logdir)
            res["infer"].append(r)
            m = r["median_sec"]
            log(f"  -> nnc {m['nnc/infer'] * 1e3:.4g} ms, oneDNN {m['onednn/infer'] * 1e3:.4g}, "
                f"torch {m['torch/infer'] * 1e3:.4g}")
    if not a.no_compile:
        res["compile"] = bench_compile(a, tools)
        log(f"  -> {res['compile']['phases_ms']['total']:.0f} ms")
    return res
