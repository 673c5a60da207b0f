#!/usr/bin/env python3
"""The benchmark harness of issues 6 and 13: nnc against its peers on this machine, in one run.

    python3 bench/run_bench.py            # everything, writes docs/performance.md (~10-20 min)
    python3 bench/run_bench.py --quick    # smoke run: 3 rounds, short runs, no 784-1024-1024-10,
                                          # no quiet-wait; prints only (--out FILE to write)
    python3 bench/run_bench.py --cnn-only # issue 14's rows alone (and the machine); prints only

What it runs, on the same nets, batch sizes, synthetic data shapes and thread counts (1 and 2)
(and the data row: reading one synthetic CSV against NumPy and pandas, bench/data_bench.py):
  nnc       build/bin/nnc-bench (tools/nnc-bench): the training step compiled as `nnc --train`
            compiles it, the inference kernel, and --gemm n,n,n for the GEMM rows;
  PyTorch   bench/peers.py (Debian python3-torch), Adam as constructed by default and with
            foreach=True; the faster of the two counts;
  NumPy     bench/peers.py, a hand-written MLP (OpenBLAS);
  oneDNN    bench/dnnl_sgemm.c built into a temporary directory: sgemm on the GEMM shapes of
            each net's training step (as nnc's training graph has them) and on n x n x n.
Issue 14's rows (bench/cnn_bench.py, rendered by report_cnn.py): the mnist convnet's training
epoch against PyTorch, its convolutions against oneDNN's primitives (dnnl_conv.c), its inference
against oneDNN (dnnl_cnn.c) and PyTorch, and its compile time.
Every implementation runs as a server process (--serve) that compiles/builds its net once, warms
up and calibrates how many steps take --min-time seconds. The harness then interleaves timed runs
round by round (nnc, torch, torch-foreach, numpy, oneDNN, nnc, ...), --repeats rounds, and takes
each one's median. A round during which other processes used > 10 % of the CPUs is measured again
(--tries); before each net it waits up to --max-wait s for a quiet machine. The peers run with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (this machine pins OpenBLAS to Haswell kernels; see
../shared/bench/README.md), unless OpenBLAS's autodetection falls back to kernels older than the
CPU's ISA: then with the best OPENBLAS_CORETYPE the flags allow, checked (bench/openblas.py); nnc
runs in the environment as it is. No timing is asserted anywhere.
The machine is measured too (bench/machine.py): lscpu, LLVM's host CPU name (nnc-bench) and the
FMA peak per core (bench/peak_fma.c, 1 and 2 threads, at the start and at the end of the run).
Files: nets.py (what is measured), machine.py (the CPU and its peak), report.py (the Markdown
report and the acceptance rows of issues 13 and 6).

Standard library only (the peers re-run under /usr/bin/python3, which has torch and numpy).
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from benchutil import Foreign, Worker, machine_busy, rounds, wait_quiet  # noqa: E402
import cnn_bench  # noqa: E402
from data_bench import bench_data, cpu_model  # noqa: E402
from machine import (build_peak, combine_peak, cpu_flags, host_cpu_info,  # noqa: E402
                     lscpu_summary, measure_peak)
import openblas  # noqa: E402
from nets import GEMM_SIZES, LARGEST, NETS  # noqa: E402
from report import render, thr, torch_best  # noqa: E402

PEER_ENV = ["env", "-u", "OPENBLAS_CORETYPE", "-u", "OPENBLAS_L2_SIZE"]
# The PyTorch and NumPy peers' OpenBLAS core type, ["OPENBLAS_CORETYPE=X"] when autodetection
# fell back to older kernels than the CPU supports (openblas.choose(), set in main()).
BLAS_ENV = []
PEER_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


IRIS = os.path.join(REPO, "examples", "iris.nn")
TRAIN_IMPLS = ["nnc", "torch", "torch-foreach", "numpy"]
INFER_IMPLS = ["nnc", "torch", "numpy"]  # Adam does not matter for inference


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def peer_cmd(impl, net, threads, min_time):
    return PEER_ENV + BLAS_ENV + [
        f"OMP_NUM_THREADS={threads}", PEER_PYTHON, os.path.join(HERE, "peers.py"), "--serve",
        "--impl", impl, "--dims", ",".join(map(str, net.dims)), "--batch", str(net.batch),
        "--loss", net.loss, "--threads", str(threads), "--min-time", str(min_time)]


def dnnl_cmd(binary, threads, min_time):
    return PEER_ENV + [f"OMP_NUM_THREADS={threads}", binary, "--serve", "--min-time", str(min_time)]


def gemm_request(g):
    return f"{g['m']} {g['k']} {g['n']} {'T' if g['ta'] else 'N'} {'T' if g['tb'] else 'N'}"


def bench_net(a, net, threads, tools, logdir):
    waited, quiet = wait_quiet(max_wait=a.max_wait, verbose=False) if a.max_wait > 0 else (0, None)
    log(f"{net.name} b{net.batch}, {thr(threads)}: starting workers"
        + (f" (waited {waited:.0f} s for a quiet machine{'' if quiet else ', still busy'})"
           if a.max_wait > 0 else ""))
    w = {}
    try:
        w["nnc"] = Worker(f"nnc {net.name} t{threads}",
                          [tools["nnc-bench"], net.model, "--batch", str(net.batch), "--threads",
                           str(threads), "--serve", "--min-time", str(a.min_time)], logdir)
        for impl in ("torch", "torch-foreach", "numpy"):
            w[impl] = Worker(f"{impl} {net.name} t{threads}",
                             peer_cmd(impl, net, threads, a.min_time), logdir)
            openblas.check_worker(w[impl], tools["openblas"].get("used"))
        w["onednn"] = Worker(f"onednn {net.name} t{threads}",
                             dnnl_cmd(tools["dnnl"], threads, a.gemm_min_time), logdir)
        gemms = w["nnc"].info["gemms"]
        for g in gemms:  # oneDNN warms up (JIT) and calibrates each shape once
            w["onednn"].request(gemm_request(g))
        pids = [x.p.pid for x in w.values()]

        def one_round():
            res = {}
            for impl in TRAIN_IMPLS:
                res[(impl, "train")] = w[impl].request("train")["sec"]
            for impl in INFER_IMPLS:
                res[(impl, "infer")] = w[impl].request("infer")["sec"]
            res[("onednn", "gemms")] = sum(w["onednn"].request(gemm_request(g))["sec"]
                                           for g in gemms)
            return res

        kept, loads = rounds(a, pids, one_round, f"{net.name} t{threads}")
        last = w["nnc"].close()
        info = {k: x.info for k, x in w.items()}
    finally:
        for x in w.values():
            if x.p.poll() is None:
                x.close()
    med = {k: statistics.median(r[k] for r in kept) for k in kept[0]}
    runs = {f"{k[0]}/{k[1]}": [r[k] for r in kept] for k in kept[0]}
    return {"net": net.name, "batch": net.batch, "threads": threads, "flop": net.flop,
            "flop_step_gemms": info["nnc"]["flop_step_gemms"], "gemms": gemms,
            "median_sec": {f"{k[0]}/{k[1]}": v for k, v in med.items()}, "runs_sec": runs,
            "bg_load": max(loads), "waited_s": waited, "quiet": quiet,
            "nnc_compile_ms": info["nnc"]["compile_ms"]["total"], "nnc_loss": last.get("loss_last_step"),
            "nnc_opt_level": info["nnc"].get("opt_level"),
            "peer_info": {k: info[k] for k in ("torch", "numpy")}, "onednn": info["onednn"]}


def bench_gemm(a, n, threads, tools, logdir):
    if a.max_wait > 0:
        wait_quiet(max_wait=a.max_wait, verbose=False)
    log(f"gemm n={n}, {thr(threads)}")
    w = {}
    try:
        w["nnc"] = Worker(f"nnc gemm {n} t{threads}",
                          [tools["nnc-bench"], "--gemm", f"{n},{n},{n}", "--threads", str(threads),
                           "--serve", "--min-time", str(a.min_time)], logdir)
        w["onednn"] = Worker(f"onednn gemm {n} t{threads}",
                             dnnl_cmd(tools["dnnl"], threads, a.min_time), logdir)
        req = f"{n} {n} {n} N N"
        w["onednn"].request(req)
        pids = [x.p.pid for x in w.values()]

        def one_round():
            return {"nnc": w["nnc"].request("gemm")["sec"], "onednn": w["onednn"].request(req)["sec"]}

        kept, loads = rounds(a, pids, one_round, f"gemm {n} t{threads}")
        last = w["nnc"].close()
    finally:
        for x in w.values():
            if x.p.poll() is None:
                x.close()
    flop = 2.0 * n ** 3
    med = {k: statistics.median(r[k] for r in kept) for k in kept[0]}
    return {"n": n, "threads": threads, "gflops": {k: flop / v / 1e9 for k, v in med.items()},
            "runs_sec": {k: [r[k] for r in kept] for k in kept[0]}, "bg_load": max(loads),
            "nnc_max_rel_error": last.get("max_rel_error")}


def bench_compile(a, tools):
    """iris from source to a JIT'd training step, each run a fresh process (cold: LLVM's
    one-time setup included, as a user's `nnc` run pays it)."""
    log("compile time: examples/iris.nn")
    if a.max_wait > 0:
        wait_quiet(max_wait=a.max_wait, verbose=False)
    reps = []
    with Foreign() as fg:
        for _ in range(max(5, a.repeats)):
            out = subprocess.run([tools["nnc-bench"], IRIS, "--compile-only", "--json"],
                                 capture_output=True, text=True, check=True)
            reps.append(json.loads(out.stdout)["compile_ms"])
    phases = {k: statistics.median(r[k] for r in reps) for k in reps[0]}
    # The whole user-visible command for comparison: nnc --train, 1 epoch (includes the
    # evaluation kernel, CSV loading and one epoch of training).
    whole = []
    for _ in range(max(5, a.repeats)):
        t0 = time.perf_counter()
        subprocess.run([tools["nnc"], IRIS, "--train", os.path.join(REPO, "examples", "data",
                                                                    "iris.csv"), "--epochs", "1"],
                       capture_output=True, check=True)
        whole.append((time.perf_counter() - t0) * 1e3)
    return {"phases_ms": phases, "runs_ms": [r["total"] for r in reps],
            "nnc_train_1_epoch_ms": statistics.median(whole), "bg_load": fg.frac}


def git(*args):
    try:
        return subprocess.run(["git", "-C", REPO] + list(args), capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 3 rounds of ~0.1 s, no 784-1024-1024-10, no quiet-wait, "
                         "writes nothing unless --out is given")
    ap.add_argument("--repeats", type=int, help="interleaved rounds (default 5; --quick 3)")
    ap.add_argument("--min-time", type=float, help="seconds per timed run (default 0.3; --quick 0.1)")
    ap.add_argument("--gemm-min-time", type=float, default=None,
                    help="oneDNN: seconds per timed run of each GEMM of a step (default 0.1)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--nets", nargs="+", help="only these nets, e.g. 3-10-1 64-128-10")
    ap.add_argument("--gemm-sizes", type=int, nargs="*", help="GEMM-alone sizes (default "
                    "128 256 512 1024; none: skip)")
    ap.add_argument("--no-compile", action="store_true", help="skip the compile-time rows")
    ap.add_argument("--cnn-only", action="store_true", help="only issue 14's rows (the mnist "
                    "convnet; bench/cnn_bench.py) and the machine; writes nothing unless --out")
    ap.add_argument("--no-cnn", action="store_true", help="skip issue 14's rows")
    ap.add_argument("--data-size", default="200M", help="the data row's CSV (gen_csv.py --size; "
                    "default 200M; 0: skip the row)")
    ap.add_argument("--max-wait", type=float, help="seconds to wait for a quiet machine before "
                    "each row (default 120; --quick 0)")
    ap.add_argument("--tries", type=int, default=3, help="attempts per round while others use "
                    "> 10%% of the CPUs (default 3)")
    ap.add_argument("--nnc-bench", default=os.path.join(REPO, "build", "bin", "nnc-bench"),
                    help="the nnc-bench to measure (its nnc is taken from the same directory)")
    ap.add_argument("--commit", help="the commit that nnc-bench was built from, for the report "
                    "(default: this repository's HEAD, plus its uncommitted source changes)")
    ap.add_argument("--note", help="a line for the report (e.g. how nnc-bench was built)")
    ap.add_argument("--out", help="Markdown report (default docs/performance.md; --quick: none)")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--from-json", help="measure nothing: render the report of a raw results file "
                    "written by --json (give the run's --repeats etc. if not the defaults)")
    a = ap.parse_args()
    q = a.quick
    a.repeats = a.repeats or (3 if q else 5)
    a.min_time = a.min_time or (0.1 if q else 0.3)
    a.gemm_min_time = a.gemm_min_time or (0.05 if q else 0.1)
    a.max_wait = a.max_wait if a.max_wait is not None else (0 if q else 120)
    if a.cnn_only and a.no_cnn:
        sys.exit("run_bench: --cnn-only and --no-cnn exclude each other")
    out = a.out if a.out else (None if q or a.cnn_only else
                               os.path.join(REPO, "docs", "performance.md"))
    sizes = [] if a.cnn_only else GEMM_SIZES if a.gemm_sizes is None else a.gemm_sizes
    if a.from_json:
        with open(a.from_json) as f:
            raw = json.load(f)
        for k, v in raw.get("args", {}).items():
            setattr(a, k, v)
        text = render(a, raw["meta"], raw["nets"], raw["gemm"], raw["compile"], raw.get("data"),
                      raw.get("cnn"))
        print(text)
        if a.out:
            with open(a.out, "w") as f:
                f.write(text)
        return
    nets = [n for n in NETS if (not a.nets or n.name in a.nets) and not (q and n.name == LARGEST)
            and not a.cnn_only]

    busy_at_start = machine_busy(2.0)
    tmp = tempfile.mkdtemp(prefix="nnc-bench-")
    try:
        # Private copies: a rebuild during the run cannot swap the compiler under us.
        tools = {}
        for name, src in (("nnc-bench", a.nnc_bench),
                          ("nnc", os.path.join(os.path.dirname(a.nnc_bench), "nnc"))):
            if not os.path.exists(src):
                sys.exit(f"run_bench: {src} is missing; run `cmake --build build` first")
            tools[name] = shutil.copy2(src, os.path.join(tmp, name))
        tools["dnnl"] = os.path.join(tmp, "dnnl_sgemm")
        subprocess.run(["gcc", "-O2", "-fopenmp", os.path.join(HERE, "dnnl_sgemm.c"), "-ldnnl",
                        "-o", tools["dnnl"]], check=True)
        if not a.no_cnn:
            tools.update(cnn_bench.build_tools(tmp))
        commit = a.commit or git("rev-parse", "--short=12", "HEAD")
        # git() strips the output, and with it the first line's leading status blank: take the
        # path as the line's last field.
        dirty = [] if a.commit else sorted({line.split()[-1].split("/")[0] for line in git(
            "status", "--porcelain", "--", "ir", "codegen", "frontend", "runtime", "tools",
            "support", "grammar").splitlines() if line.strip()})
        cmd = shlex.join(["python3", "bench/run_bench.py"] + sys.argv[1:])
        lscpu, flags = lscpu_summary()
        # Before any peer starts: the best OpenBLAS kernels the CPU supports, verified.
        tools["openblas"] = openblas.choose(PEER_PYTHON, PEER_ENV, cpu_flags(),
                                            dict(lscpu).get("Vendor ID", ""), log)
        if tools["openblas"]["coretype"]:
            BLAS_ENV[:] = [f"OPENBLAS_CORETYPE={tools['openblas']['coretype']}"]
        tools["peer_env"], tools["python"] = PEER_ENV + BLAS_ENV, PEER_PYTHON
        host_cpu, host_bits = host_cpu_info(tools["nnc-bench"])
        log(f"run_bench: {len(nets)} nets x threads {a.threads}, GEMM sizes {sizes}, "
            f"{a.repeats} rounds, machine {busy_at_start:.0%} busy at start; logs in {tmp}")
        t_start = time.time()
        peak_bin, peak_why = build_peak(tmp)
        peak_threads = sorted(set([1] + a.threads))

        def peak(when):
            if not peak_bin:
                return {}
            if a.max_wait > 0:
                wait_quiet(max_wait=a.max_wait, verbose=False)
            log(f"FMA peak ({when} of the run)")
            return measure_peak(peak_bin, peak_threads, log)
        if peak_why:
            log(f"FMA peak: {peak_why}")
        peak_start = peak("start")

        results = []
        for net in nets:
            for th in a.threads:
                r = bench_net(a, net, th, tools, tmp)
                results.append(r)
                m = r["median_sec"]
                t, _ = torch_best(r)
                log(f"  -> nnc {m['nnc/train'] * 1e3:.4g} ms/step, torch {t * 1e3:.4g}, numpy "
                    f"{m['numpy/train'] * 1e3:.4g}, oneDNN step GEMMs {m['onednn/gemms'] * 1e3:.4g}")
        gemm_rows = []
        for n in sizes:
            for th in a.threads:
                g = bench_gemm(a, n, th, tools, tmp)
                gemm_rows.append(g)
                log(f"  -> nnc {g['gflops']['nnc']:.1f} GFLOP/s, oneDNN {g['gflops']['onednn']:.1f}")
        comp = None if a.no_compile or a.cnn_only else bench_compile(a, tools)
        data = None if a.data_size == "0" or a.cnn_only else bench_data(
            a.data_size, a.repeats, tools["nnc-bench"], tmp, log)
        cnn = None if a.no_cnn else cnn_bench.bench_cnn(a, tools, tmp)
        peak_end = peak("end")

        meta = {"date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                "commit": commit, "dirty": ", ".join(f"`{d}/`" for d in dirty), "command": cmd,
                "lscpu": lscpu, "flags": flags, "busy_at_start": busy_at_start,
                "elapsed_s": time.time() - t_start, "note": a.note, "cpu": cpu_model(),
                "opt_level": (results[0]["nnc_opt_level"] if results else
                              cnn["train"][0]["nnc_opt_level"] if cnn and cnn["train"] else None),
                "kernel": platform.release(), "openblas_env": {
                    k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
                    if k in os.environ}, "peer_openblas": tools["openblas"],
                "host_cpu": host_cpu, "host_vector_bits": host_bits,
                "peak": combine_peak(peak_start, peak_end, peak_why or "not measured (peak_fma "
                                     "printed no 1-thread result)")}
        if results:
            pi = results[0]["peer_info"]["torch"]
            meta["torch"], meta["numpy"] = pi["torch"], pi["numpy"]
            meta["blas"] = ", ".join(f"{b[0]} {b[1]} ({b[2]} kernels)" for b in pi["blas"])
            meta["onednn"] = results[0]["onednn"]["version"]
            net = nets[0]
            meta["peer_commands"] = [" ".join(c) for c in (
                peer_cmd("torch", net, "T", a.min_time), peer_cmd("torch-foreach", net, "T", a.min_time),
                peer_cmd("numpy", net, "T", a.min_time), dnnl_cmd("dnnl_sgemm", "T", a.gemm_min_time))]
            meta["peer_commands"] = [c.replace(PEER_PYTHON + " " + HERE, "/usr/bin/python3 bench")
                                     .replace(HERE + "/", "bench/") for c in meta["peer_commands"]]
        else:
            meta["peer_commands"] = []
        if cnn and cnn["train"]:
            t = cnn["train"][0]
            meta.setdefault("torch", t["torch_info"]["torch"])
            meta.setdefault("numpy", t["torch_info"]["numpy"])
            meta.setdefault("blas", ", ".join(f"{b[0]} {b[1]} ({b[2]} kernels)"
                                              for b in t["torch_info"]["blas"]))
            meta.setdefault("onednn", t["onednn"]["version"])
            meta["cnn_commands"] = [
                " ".join(c).replace(PEER_PYTHON + " " + HERE, "/usr/bin/python3 bench")
                .replace(tools["nnc-bench"], "build/bin/nnc-bench").replace(tmp + "/", "/tmp/")
                .replace(HERE + "/", "bench/").replace(REPO + "/", "")
                for c in cnn_bench.commands(tools, a.min_time)]
        text = render(a, meta, results, gemm_rows, comp, data, cnn)
        print(text)
        if out:
            with open(out, "w") as f:
                f.write(text)
            log(f"run_bench: wrote {out} ({meta['elapsed_s'] / 60:.1f} min)")
        if a.json:
            with open(a.json, "w") as f:
                args = {k: getattr(a, k) for k in ("repeats", "min_time", "gemm_min_time",
                                                   "max_wait", "tries")}
                json.dump({"meta": meta, "args": args, "nets": results, "gemm": gemm_rows,
                           "compile": comp, "data": data, "cnn": cnn}, f, indent=1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
