"""The report of bench/run_bench.py (docs/performance.md) from its raw results: the machine,
issue 13's acceptance rows, issue 6's, and the tables. Renders old raw files too (written before
the machine's peak and LLVM's CPU name were recorded: those say "not measured").

"% of peak" is a row's GFLOP/s / (FMA peak per core x the row's threads), the peak measured by
bench/peak_fma.c on one thread (bench/machine.py). Standard library only.
"""
import os
import platform

from data_bench import render_data
from openblas import describe as describe_openblas
from nets import COMPILE_TARGET_MS, GEMM_SIZES, LARGEST, NETS, THREADS

HERE = os.path.dirname(os.path.abspath(__file__))
NOT_MEASURED = "not measured"


def thr(n):
    return f"{n} thread" + ("" if n == 1 else "s")


def ratio_str(x):
    if x is None:
        return "–"
    return f"{x:.3f}" if x >= 0.01 else f"{x:.4f}"


def find(results, net, threads):
    for r in results:
        if r["net"] == net and r["threads"] == threads:
            return r
    return None


def find_gemm(gemm_rows, n, threads):
    return next((g for g in gemm_rows if g["n"] == n and g["threads"] == threads), None)


def torch_best(r):
    d, f = r["median_sec"]["torch/train"], r["median_sec"]["torch-foreach/train"]
    return (f, "foreach") if f < d else (d, "default")


def peak_per_core(meta):
    return (meta.get("peak") or {}).get("per_core")


def of_peak(gflops, threads, meta):
    """GFLOP/s as a fraction of the FMA peak of `threads` cores, or None (peak not measured)."""
    p = peak_per_core(meta)
    return gflops / (p * threads) if p else None


def pct(x):
    return "–" if x is None else f"{x:.0%}"


def step_fraction(r):
    """oneDNN's time for the step's GEMMs ÷ nnc's step time."""
    return r["median_sec"]["onednn/gemms"] / r["median_sec"]["nnc/train"]


# An acceptance row: (criterion, measured, target, met (None: no verdict), others' CPU share
# while it was measured (None: not applicable), threads).

def acceptance13(meta, results, gemm_rows):
    """Issue 13's acceptance rows."""
    rows = []
    for n in GEMM_SIZES:
        for t in THREADS:
            g = find_gemm(gemm_rows, n, t)
            crit = f"GEMM alone n={n}, {thr(t)}: ≥ 0.95× oneDNN sgemm"
            if not g:
                rows.append((crit, "not run", "≥ 0.95", None, None, t))
                continue
            q = g["gflops"]["nnc"] / g["gflops"]["onednn"]
            rows.append((crit, f"{q:.3f}", "≥ 0.95", q >= 0.95, g["bg_load"], t))
    for n in GEMM_SIZES:
        if n < 256:
            continue
        g = find_gemm(gemm_rows, n, 1)
        crit = f"GEMM alone n={n}, 1 thread: ≥ 80% of the FMA peak per core"
        f = of_peak(g["gflops"]["nnc"], 1, meta) if g else None
        if not g:
            rows.append((crit, "not run", "≥ 0.80", None, None, 1))
        elif f is None:
            rows.append((crit, f"{g['gflops']['nnc']:.1f} GFLOP/s; peak {NOT_MEASURED}",
                         "≥ 0.80", None, g["bg_load"], 1))
        else:
            rows.append((crit, f"{f:.3f} ({g['gflops']['nnc']:.1f} of "
                         f"{peak_per_core(meta):.1f} GFLOP/s)", "≥ 0.80", f >= 0.80,
                         g["bg_load"], 1))
    for name, batch in (("784-256-256-10", 128), (LARGEST, 256)):
        for t in THREADS:
            r = find(results, name, t)
            crit = (f"{name} b{batch}, {thr(t)}: training step ÷ oneDNN's time for its GEMMs "
                    "(fraction)")
            if not r:
                rows.append((crit, "not run", "≥ 0.90", None, None, t))
                continue
            f = step_fraction(r)
            rows.append((crit, f"{f:.3f}", "≥ 0.90", f >= 0.90, r["bg_load"], t))
    for net in NETS:
        for t in THREADS:
            r = find(results, net.name, t)
            crit = f"inference {net.name} b{net.batch}, {thr(t)}: nnc ÷ fastest peer"
            if not r:
                rows.append((crit, "not run", "< 1", None, None, t))
                continue
            m = r["median_sec"]
            peer, who = min((m["torch/infer"], "PyTorch"), (m["numpy/infer"], "NumPy"))
            q = m["nnc/infer"] / peer
            rows.append((crit, f"{ratio_str(q)} ({who})", "< 1", q < 1, r["bg_load"], t))
    rows.append(("CPU-description tests (Zen 4, Zen 5, Skylake-SP, Haswell, Neoverse N1)",
                 "not measured here (unit tests)", "pass", None, None, 1))
    rows.append(("Deterministic for a machine and thread count; parity and quality unchanged",
                 "not measured here (lit/e2e suites)", "pass", None, None, 1))
    return rows


def acceptance6(results, gemm_rows, comp):
    """Issue 6's acceptance rows."""
    rows = []
    r = find(results, "3-10-1", 1)
    if r:
        nnc = r["median_sec"]["nnc/train"]
        t, _ = torch_best(r)
        rows.append(("3-10-1 b32, 1 thread: train step ≤ 1/50 of PyTorch's",
                     f"{ratio_str(nnc / t)} (1/{t / nnc:.1f})", "≤ 0.020", nnc / t <= 1 / 50,
                     r["bg_load"], 1))
        nump = r["median_sec"]["numpy/train"]
        rows.append(("3-10-1 b32, 1 thread: train step ≤ 1/20 of NumPy's",
                     f"{ratio_str(nnc / nump)} (1/{nump / nnc:.1f})", "≤ 0.050",
                     nnc / nump <= 1 / 20, r["bg_load"], 1))
    r = find(results, "64-128-10", 1)
    if r:
        nnc, nump = r["median_sec"]["nnc/train"], r["median_sec"]["numpy/train"]
        rows.append(("64-128-10 b128, 1 thread: train step ≤ 1/3 of NumPy's",
                     f"{ratio_str(nnc / nump)} (1/{nump / nnc:.2f})", "≤ 0.333",
                     nnc / nump <= 1 / 3, r["bg_load"], 1))
    for net, threads, bar in (("784-256-256-10", 1, 0.75), (LARGEST, 2, 0.80)):
        r = find(results, net, threads)
        if not r:
            rows.append((f"{net}, {thr(threads)}: ≥ {bar:.0%} of oneDNN's GFLOP/s on the "
                         "step's GEMMs", "not run", f"≥ {bar:.2f}", None, None, threads))
            rows.append((f"{net}, {thr(threads)}: faster than every peer", "not run",
                         "< 1", None, None, threads))
            continue
        frac = step_fraction(r)
        rows.append((f"{net} b{r['batch']}, {thr(threads)}: ≥ {bar:.0%} of oneDNN's GFLOP/s "
                     "on the step's GEMMs", f"{frac:.3f}", f"≥ {bar:.2f}", frac >= bar,
                     r["bg_load"], threads))
        nnc = r["median_sec"]["nnc/train"]
        t, _ = torch_best(r)
        best = min(t, r["median_sec"]["numpy/train"])
        rows.append((f"{net} b{r['batch']}, {thr(threads)}: faster than every peer "
                     "(nnc ÷ fastest peer)", ratio_str(nnc / best), "< 1", nnc < best,
                     r["bg_load"], threads))
    for n in GEMM_SIZES:
        for threads in THREADS:
            g = find_gemm(gemm_rows, n, threads)
            if not g:
                continue
            q = g["gflops"]["nnc"] / g["gflops"]["onednn"]
            rows.append((f"GEMM alone n={n}, {thr(threads)}: ≥ 0.9× oneDNN sgemm",
                         f"{q:.3f}", "≥ 0.90", q >= 0.9, g["bg_load"], threads))
    if comp:
        ms = comp["phases_ms"]["total"]
        rows.append(("examples/iris.nn source → JIT'd training step",
                     f"{ms:.0f} ms", f"≤ {COMPILE_TARGET_MS:.0f} ms", ms <= COMPILE_TARGET_MS,
                     comp.get("bg_load"), 1))
    rows.append(("Results unchanged: parity and quality tests pass", "not measured here "
                 "(lit/e2e suites)", "pass", None, None, 1))
    return rows


def verdict(m, load=None, threads=1):
    """met / missed; a 2-thread row measured while others used > 25 % of the CPUs says nothing."""
    if m is None:
        return "–"
    if threads > 1 and load is not None and load > 0.25:
        return "no verdict (load)"
    return "**met**" if m else "missed"


def acceptance_table(add, rows):
    add("| criterion | measured | target | | others |")
    add("|---|---|---|---|---|")
    for crit, meas, target, met, load, threads in rows:
        add(f"| {crit} | {meas} | {target} | {verdict(met, load, threads)} | "
            f"{'–' if load is None else f'{load:.0%}'} |")
    add("")


def peak_lines(meta):
    """The machine section's lines on the FMA peak."""
    pk = meta.get("peak")
    if not pk:
        return [f"- FMA peak per core: {NOT_MEASURED} (this run predates the measurement)"]
    if pk.get("per_core") is None:
        return [f"- FMA peak per core: {pk.get('why') or NOT_MEASURED}"]

    def at(m):
        return ", ".join(f"{thr(int(t))} {p['gflops']:.1f} GFLOP/s"
                         for t, p in sorted(m.items(), key=lambda kv: int(kv[0]))) or NOT_MEASURED
    return [f"- FMA peak per core: **{pk['per_core']:.1f} GFLOP/s** ({pk['isa']} FMA, "
            "`bench/peak_fma.c`: 16 independent accumulators, best of 9; the higher of the "
            "measurements at the start and the end of the run). *% of peak* below is a row's "
            "GFLOP/s ÷ (this × the row's threads)",
            f"- peak_fma at the start: {at(pk['start'])}; at the end: {at(pk['end'])}"]


def render_machine(add, meta):
    add("## Machine")
    add("")
    rows = dict(meta.get("lscpu") or [])
    model = rows.get("Model name", "?")
    ident = ", ".join(f"{k.lower()} {rows[k]}" for k in ("Vendor ID", "CPU family", "Model",
                                                          "Stepping") if k in rows)
    add(f"- CPU: **{model}**" + (f" ({ident})" if ident else ""))
    host = meta.get("host_cpu")
    bits = meta.get("host_vector_bits")
    add(f"- LLVM's host CPU (what nnc's JIT compiles for): "
        + (f"**`{host}`**" + (f", widest vectors {bits} bits" if bits else "") if host
           else NOT_MEASURED))
    for line in peak_lines(meta):
        add(line)
    add("")
    add("`lscpu`:")
    add("")
    add("| | |")
    add("|---|---|")
    for k, v in meta.get("lscpu") or []:
        add(f"| {k} | {v} |")
    if meta.get("flags"):
        add(f"| SIMD flags | {meta['flags']} |")
    add("")


def render_header(add, a, meta):
    add("# Performance: nnc against PyTorch, NumPy and oneDNN")
    add("")
    add("Generated by `bench/run_bench.py` (the benchmark harness of issues 6, 13 and 14; see "
        "`bench/README.md`). Ratios from one run count; single absolute times on this shared "
        "machine do not. Do not edit by hand: rerun the harness.")
    add("")
    add(f"- date: {meta['date']}")
    add(f"- commit: `{meta['commit']}`" + (f" plus uncommitted changes in {meta['dirty']} "
                                           "(work in progress in this tree; nnc-bench was built "
                                           "from it)" if meta.get("dirty") else ""))
    if meta.get("note"):
        add(f"- note: {meta['note']}")
    add(f"- command: `{meta['command']}`")
    add(f"- rounds: {a.repeats} interleaved rounds per row (median), timed runs of ~{a.min_time} s "
        f"(oneDNN: ~{a.gemm_min_time} s per shape of a step), after warm-up; a round during which "
        f"other processes used > 10 % of the CPUs was measured again (up to {a.tries} tries, "
        "the quietest kept); column *others* is the highest such share among a row's kept rounds")
    add(f"- quiet-wait: {'up to ' + str(a.max_wait) + ' s per row for < 15 % CPU use' if a.max_wait > 0 else 'off'}"
        f"; machine load when the run began: {meta['busy_at_start']:.0%} of the CPUs busy")
    ob = meta.get("peer_openblas")  # absent in runs before the harness chose the core type
    add(f"- software: nnc-bench (nnc's -O{meta.get('opt_level', '?')}: graph passes, LLVM 19, ORC JIT "
        f"for the host CPU); PyTorch {meta.get('torch', '?')}, "
        f"NumPy {meta.get('numpy', '?')}, BLAS {meta.get('blas', '?')}"
        + (f" for NumPy and PyTorch's matmuls, {describe_openblas(ob)}" if ob else "")
        + f"; oneDNN {meta.get('onednn', '?')} (`dnnl_sgemm`, `dnnl_conv`, `dnnl_cnn`, OpenMP); "
        f"Linux {meta.get('kernel') or platform.release()}")
    env = meta.get("openblas_env")
    why = ("this machine pins OpenBLAS to its Haswell kernels otherwise" if env is None else
           "neither was set where this run started" if not env else
           "unsetting " + ", ".join(f"{k}={v}" for k, v in sorted(env.items())) + " from the "
           "harness's environment")
    set_ct = f"OPENBLAS_CORETYPE={ob['coretype']} " if ob and ob.get("coretype") else ""
    add(f"- peers ran as `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE {set_ct}OMP_NUM_THREADS=T "
        f"...` ({why}{'; the core type as on the software line' if set_ct else ''}); nnc ran in "
        "the environment as it is")
    add("")


def render_acceptance(add, a, meta, results, gemm_rows, comp):
    add("## Acceptance (issue 13)")
    add("")
    add("Ratios are nnc's time ÷ the peer's (below 1: nnc is faster), or nnc's GFLOP/s ÷ "
        "oneDNN's; the fraction of a training step is oneDNN's time for the step's GEMMs ÷ nnc's "
        "time for the whole step. *others*: the share of the CPUs that other processes used "
        "while the row was measured (the highest over its kept rounds).")
    add("")
    loads = [r["bg_load"] for r in results] + [g["bg_load"] for g in gemm_rows]
    busy = [x for x in loads if x > 0.10]
    if busy:
        add(f"**Measured under load**: in {len(busy)} of {len(loads)} rows other processes used "
            f"more than 10 % of the CPUs (up to {max(busy):.0%}) even in the quietest of "
            f"{a.tries} tries per round. Every implementation of a row ran in the same rounds, so "
            "1-thread ratios are roughly comparable, but absolute times are slower than on an idle "
            "machine, and 2-thread rows under load are not meaningful: an OpenMP team (PyTorch, "
            "oneDNN) waits at every barrier for a thread that another process preempted, so the "
            "acceptance tables give no verdict for a 2-thread row measured above 25 %. Rerun "
            "`python3 bench/run_bench.py` on a quiet machine for numbers to quote.")
        add("")
    acceptance_table(add, acceptance13(meta, results, gemm_rows))
    add("### Issue 6's criteria")
    add("")
    acceptance_table(add, acceptance6(results, gemm_rows, comp))


def gemm_shapes(r):
    def op(g):
        return (" " + ("T" if g["ta"] else "N") + ("T" if g["tb"] else "N")
                if g["ta"] or g["tb"] else "")
    return ", ".join(f"{g['m']}×{g['k']}×{g['n']}{op(g)}" for g in r["gemms"])


def render_tables(add, meta, results, gemm_rows):
    peak_note = ("" if peak_per_core(meta) else f" (*% of peak*: {NOT_MEASURED}, no FMA peak in "
                 "this run)")
    if results:
        add("## Training step")
        add("")
        add("ms per step (median); GFLOP/s count 6 × batch × weights per step, as the peers' "
            "script does; *torch* is the faster of Adam's default and `foreach=True` (which one "
            "in brackets); ratios are nnc ÷ peer; *% of peak* is nnc's GFLOP/s ÷ (FMA peak per "
            "core × threads)" + peak_note + ".")
        add("")
        add("| net | batch | threads | nnc ms | PyTorch ms | NumPy ms | nnc GFLOP/s | % of peak | "
            "PyTorch GFLOP/s | NumPy GFLOP/s | nnc ÷ PyTorch | nnc ÷ NumPy | others |")
        add("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in results:
            m = r["median_sec"]
            nnc, nump = m["nnc/train"], m["numpy/train"]
            t, which = torch_best(r)
            gf = lambda s: r["flop"] / s / 1e9  # noqa: E731
            add(f"| {r['net']} | {r['batch']} | {r['threads']} | {nnc * 1e3:.4g} | {t * 1e3:.4g} "
                f"({which}) | {nump * 1e3:.4g} | {gf(nnc):.2f} | "
                f"{pct(of_peak(gf(nnc), r['threads'], meta))} | {gf(t):.2f} | {gf(nump):.2f} | "
                f"{ratio_str(nnc / t)} | {ratio_str(nnc / nump)} | {r['bg_load']:.0%} |")
        add("")
        add("PyTorch's two Adam variants, ms per step: " + "; ".join(
            f"{r['net']} t{r['threads']}: default {r['median_sec']['torch/train'] * 1e3:.4g}, "
            f"foreach {r['median_sec']['torch-foreach/train'] * 1e3:.4g}" for r in results) + ".")
        add("")
        add("## Inference (forward pass of one batch)")
        add("")
        add("| net | batch | threads | nnc ms | PyTorch ms | NumPy ms | nnc GFLOP/s | % of peak | "
            "nnc ÷ PyTorch | nnc ÷ NumPy |")
        add("|---|---|---|---|---|---|---|---|---|---|")
        for r in results:
            m = r["median_sec"]
            nnc, t, nump = m["nnc/infer"], m["torch/infer"], m["numpy/infer"]
            gf = r["flop"] / 3 / nnc / 1e9
            add(f"| {r['net']} | {r['batch']} | {r['threads']} | {nnc * 1e3:.4g} | {t * 1e3:.4g} | "
                f"{nump * 1e3:.4g} | {gf:.2f} | {pct(of_peak(gf, r['threads'], meta))} | "
                f"{ratio_str(nnc / t)} | {ratio_str(nnc / nump)} |")
        add("")
        add("## The training step against oneDNN on its own GEMM shapes")
        add("")
        add("The GEMMs of each training step as nnc's training graph has them (forward, weight "
            "gradients, input gradients but the first layer's; transposed operands read in place), "
            "timed one by one with `dnnl_sgemm` in the same rounds. oneDNN's GFLOP/s is their "
            "FLOPs over their summed time (the FLOP-weighted harmonic mean); nnc's counts the same "
            "FLOPs over its whole step (its elementwise work and Adam included). The fraction is "
            "the ratio of the two, i.e. oneDNN's GEMM time ÷ nnc's step time. *% of peak*: "
            "GFLOP/s ÷ (FMA peak per core × threads).")
        add("")
        add("| net | batch | threads | GEMMs (M×K×N, op) | GEMM GFLOP | oneDNN ms | oneDNN "
            "GFLOP/s | oneDNN % of peak | nnc step GFLOP/s | nnc % of peak | fraction |")
        add("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in results:
            m = r["median_sec"]
            fl = r["flop_step_gemms"]
            gd, gn = fl / m["onednn/gemms"] / 1e9, fl / m["nnc/train"] / 1e9
            add(f"| {r['net']} | {r['batch']} | {r['threads']} | {gemm_shapes(r)} | "
                f"{fl / 1e9:.4g} | {m['onednn/gemms'] * 1e3:.4g} | {gd:.1f} | "
                f"{pct(of_peak(gd, r['threads'], meta))} | {gn:.2f} | "
                f"{pct(of_peak(gn, r['threads'], meta))} | {step_fraction(r):.3f} |")
        add("")
    if gemm_rows:
        add("## GEMM alone (n × n × n, float32)")
        add("")
        add("nnc: `nnc-bench --gemm n,n,n`, a graph with one matmul of an input [n,n] and a param "
            "[n,n] (the batch dimension is M), compiled by the same JIT for the row's threads "
            "(rows split across them). oneDNN: `dnnl_sgemm`. *% of peak*: GFLOP/s ÷ (FMA peak "
            "per core × threads)" + peak_note + ".")
        add("")
        add("| n | threads | nnc GFLOP/s | nnc % of peak | oneDNN GFLOP/s | oneDNN % of peak | "
            "nnc ÷ oneDNN | nnc max rel. error | others |")
        add("|---|---|---|---|---|---|---|---|---|")
        for g in gemm_rows:
            err = g.get("nnc_max_rel_error")
            gn, gd, t = g["gflops"]["nnc"], g["gflops"]["onednn"], g["threads"]
            add(f"| {g['n']} | {t} | {gn:.1f} | {pct(of_peak(gn, t, meta))} | {gd:.1f} | "
                f"{pct(of_peak(gd, t, meta))} | {gn / gd:.3f} | "
                f"{'–' if err is None else f'{err:.1e}'} | {g['bg_load']:.0%} |")
        add("")


def render_compile(add, results, comp):
    p = comp["phases_ms"]
    add("## Compile time")
    add("")
    add(f"`examples/iris.nn` from reading the source to a JIT-compiled training step, "
        f"`nnc-bench --compile-only`, each run a fresh process (LLVM's one-time setup "
        f"included), median of {len(comp['runs_ms'])}: **{p['total']:.0f} ms** (target "
        f"{COMPILE_TARGET_MS:.0f} ms). Phases (medians): front end {p['front_end']:.1f} ms, "
        f"training graph {p['training_graph']:.1f}, graph passes {p.get('graph_passes', 0):.1f}, "
        f"lowering to LLVM IR {p['lowering']:.1f}, `JitCompiler::compile` "
        f"{p['jit_compile']:.1f}, `lookup` {p['jit_lookup']:.1f} (LLVM's optimization and "
        f"machine code happen in these two, split as the JIT defers them). "
        f"Runs: {', '.join(f'{x:.0f}' for x in comp['runs_ms'])} ms. The whole "
        f"`nnc examples/iris.nn --train examples/data/iris.csv --epochs 1` process (which also "
        f"compiles the evaluation kernel, loads the CSV and trains one epoch) takes "
        f"{comp['nnc_train_1_epoch_ms']:.0f} ms.")
    add("")
    if results:
        add("Compile time of the benchmark nets (training step only, first compile in the "
            "worker process): " + "; ".join(
                f"{r['net']} b{r['batch']} {r['nnc_compile_ms']:.0f} ms" for r in results
                if r["threads"] == min(x["threads"] for x in results)) + ".")
        add("")


def render_reproduce(add, meta):
    add("## How to reproduce")
    add("")
    add("```sh")
    add("cmake --build build                  # builds build/bin/nnc-bench")
    add("python3 bench/run_bench.py           # this report (the run above: see 'command')")
    add("build/bin/nnc-bench bench/models/mlp_784_256_256_10.nn       # one net, text report")
    add("build/bin/nnc-bench --gemm 512,512,512 --json                 # one GEMM")
    add("gcc -O2 -fopenmp -mavx512f -mavx512vl -mfma bench/peak_fma.c -o /tmp/peak_fma && "
        "OMP_NUM_THREADS=1 /tmp/peak_fma   # the FMA peak (-mavx2 -mfma without AVX-512)")
    add("```")
    add("")
    if not meta.get("peer_commands"):
        return
    add("Peer commands, as the harness ran them (T = threads; each is a server answering "
        "`train`/`infer` requests; see `bench/peers.py`, `bench/dnnl_sgemm.c`):")
    add("")
    add("```sh")
    for c in meta["peer_commands"]:
        add(c)
    add("```")
    add("")


def render(a, meta, results, gemm_rows, comp, data=None, cnn=None):
    """The whole Markdown report. `a` carries repeats, min_time, gemm_min_time, max_wait, tries.
    `cnn`: issue 14's results (cnn_bench.py), its section rendered by report_cnn.py; a run of
    those alone (--cnn-only) has no issue 13/6 sections."""
    from report_cnn import render_cnn  # it imports this module's helpers
    L = []
    add = L.append
    render_header(add, a, meta)
    render_machine(add, meta)
    cnn_only = cnn and not (results or gemm_rows or comp or data)
    if not cnn_only:
        render_acceptance(add, a, meta, results, gemm_rows, comp)
        render_tables(add, meta, results, gemm_rows)
    if comp:
        render_compile(add, results, comp)
    if cnn:
        render_cnn(add, a, meta, cnn)
    if data:
        add(render_data(data, meta.get("cpu", "?")))
    notes = os.path.join(HERE, "notes.md")
    if os.path.exists(notes) and not cnn_only:
        with open(notes) as f:
            add(f.read().rstrip())
        add("")
    render_reproduce(add, meta)
    return "\n".join(L)
