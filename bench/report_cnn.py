"""Issue 14's section of docs/performance.md ("Convolutional network (issue 14)"): its acceptance
rows and tables, from the raw results of bench/cnn_bench.py. Called by report.render().

Ratios: the epoch row is nnc's time ÷ PyTorch's (≤ 1/3 wanted); the convolution rows nnc's
GFLOP/s ÷ oneDNN's on the same pass, shape and threads (≥ 0.8); the inference rows nnc's speed ÷
oneDNN's, i.e. oneDNN's time ÷ nnc's (≥ 0.9). Standard library only.
"""
from nets import (CNN_COMPILE_TARGET_MS, CNN_CONV_BAR, CNN_CONVS, CNN_EPOCH_BAR, CNN_FLOP_PER_ROW,
                  CNN_FULL_STEPS, CNN_INFER_BAR, CNN_LAST_BATCH, CONV_PASSES)
from report import acceptance_table, of_peak, pct, ratio_str, thr

PASS_NAME = {"forward": "forward", "backward_data": "backward-data",
             "backward_weights": "backward-weights"}


def epoch_sec(m, impl):
    """An epoch as the harness counts it: CNN_FULL_STEPS full steps and the last, partial one."""
    return CNN_FULL_STEPS * m[f"{impl}/train"] + m[f"{impl}/train_last"]


def conv_label(name):
    c = next(c for c in CNN_CONVS if c.name == name)
    n, ch, h, w, f, kh, kw, pad = c.dims
    return f"{name} ({n}×{ch}×{h}×{w} → {f}, {kh}×{kw}, pad {pad})"


def in_step(cnn, conv, p, threads):
    """True/False: nnc's training step computes this pass (from its report); None: unknown."""
    t = next((r for r in cnn["train"] if r["threads"] == threads), None) or \
        (cnn["train"][0] if cnn["train"] else None)
    if not t or "step_passes" not in t:
        return None
    return p in t["step_passes"].get(conv, [])


def infer_rows(cnn):
    """(batch, threads, medians, others' share, oneDNN info) of every inference measurement."""
    rows = [(r["batch"], r["threads"], r["median_sec"], r["bg_load"], r["onednn"])
            for r in cnn["train"]]
    rows += [(r["batch"], r["threads"], r["median_sec"], r["bg_load"], r["onednn"])
             for r in cnn["infer"]]
    return sorted(rows, key=lambda x: (x[0], x[1]))


def acceptance14(cnn):
    rows = []
    for r in cnn["train"]:
        m, t = r["median_sec"], r["threads"]
        nnc, torch = epoch_sec(m, "nnc"), epoch_sec(m, "torch")
        q = nnc / torch
        rows.append((f"mnist convnet training epoch ({CNN_FULL_STEPS} × b{r['batch']} + "
                     f"b{r['last_batch']}), {thr(t)}: ≤ 1/3 of PyTorch's time",
                     f"{ratio_str(q)} (nnc {nnc:.3g} s, PyTorch {torch:.3g} s)",
                     f"≤ {CNN_EPOCH_BAR:.3f}", q <= CNN_EPOCH_BAR, r["bg_load"], t))
    for c in cnn["convs"]:
        t = c["threads"]
        for p in CONV_PASSES:
            gn, gd = c["gflops"]["nnc/" + p], c["gflops"]["onednn/" + p]
            q = gn / gd
            crit = (f"{conv_label(c['conv'])} {PASS_NAME[p]}, {thr(t)}: ≥ {CNN_CONV_BAR}× "
                    "oneDNN's GFLOP/s")
            meas = f"{q:.3f} ({gn:.1f} vs {gd:.1f} GFLOP/s)"
            if in_step(cnn, c["conv"], p, t) is False:
                rows.append((crit, meas + "; not computed by nnc's training step (the "
                             "input is the image): not part of the bar", f"≥ {CNN_CONV_BAR}",
                             None, c["bg_load"], t))
            else:
                rows.append((crit, meas, f"≥ {CNN_CONV_BAR}", q >= CNN_CONV_BAR, c["bg_load"], t))
    for batch, t, m, load, _ in infer_rows(cnn):
        q = m["onednn/infer"] / m["nnc/infer"]
        rows.append((f"mnist convnet inference b{batch}, {thr(t)}: nnc ≥ {CNN_INFER_BAR}× "
                     "oneDNN's speed", f"{q:.3f} (nnc {m['nnc/infer'] * 1e3:.3g} ms, oneDNN "
                     f"{m['onednn/infer'] * 1e3:.3g} ms)", f"≥ {CNN_INFER_BAR}",
                     q >= CNN_INFER_BAR, load, t))
    comp = cnn.get("compile")
    if comp:
        ms = comp["phases_ms"]["total"]
        rows.append(("examples/mnist_cnn.nn source → JIT'd training step", f"{ms:.0f} ms",
                     f"≤ {CNN_COMPILE_TARGET_MS:.0f} ms", ms <= CNN_COMPILE_TARGET_MS,
                     comp.get("bg_load"), 1))
    else:
        rows.append(("examples/mnist_cnn.nn source → JIT'd training step", "not run",
                     f"≤ {CNN_COMPILE_TARGET_MS:.0f} ms", None, None, 1))
    rows.append(("Accuracy against PyTorch, gradient checks, parity, AOT objects",
                 "not measured here (docs/quality.md, lit/e2e suites)", "pass", None, None, 1))
    return rows


def render_cnn(add, a, meta, cnn):
    add("## Convolutional network (issue 14)")
    add("")
    add("The mnist convnet of `examples/mnist_cnn.nn` (Keras's \"simple MNIST convnet\": "
        "conv3×3(32) relu maxpool2 conv3×3(64) relu maxpool2 flatten dropout(0.5) dense(10), "
        "Adam 1e-3, pixels ÷ 255 in the model) on synthetic 28×28 images, against PyTorch "
        "(`bench/peers.py --cnn mnist`: the net and step of `../shared/bench/cnn_ref.py`, Adam as "
        "constructed by default, `torch.set_num_threads(T)`) and oneDNN's primitives "
        "(`bench/dnnl_conv.c`, `bench/dnnl_cnn.c`). Each row's implementations ran as servers in "
        "the same interleaved rounds (median of each); *others* as above.")
    add("")
    add(f"- **Epoch**: mnist_10k's 8000 training rows at batch 128 are {CNN_FULL_STEPS} full "
        f"steps and one of {CNN_LAST_BATCH} rows; an epoch here is {CNN_FULL_STEPS} × the median "
        f"step + the median last step, for both (pre-made batches, no CSV, gather or shuffle "
        "on either side). nnc's last step is the same kernel run on 64 rows "
        "(`nnc-bench --last-batch 64`), as `nnc --train` runs it.")
    add("- **Convolutions**: `nnc-bench --conv` (one graph per pass: `conv2d`, "
        "`conv2d_grad_input`, `conv2d_grad_filter`, no bias or activation) against oneDNN's "
        "convolution primitives on the same shape and threads (`format_tag_any`: oneDNN's own "
        "layouts, reorders not timed); 2·N·F·OH·OW·C·KH·KW FLOP per pass. Which passes nnc's "
        "training step computes is read from its training graph (`nnc-bench`'s `convs`).")
    add("- **Inference**: the forward pass to the logits. nnc: the prediction kernel (NCHW "
        "input); oneDNN: `dnnl_cnn.c`, forward_inference primitives (conv with a ReLU post-op, "
        "max pooling, conv + ReLU, pooling, inner product; `format_tag_any`; weights reordered "
        "once, untimed; a reorder of the NCHW input or between layers, if oneDNN wants one, "
        "timed in every call; x ÷ 255 folded into the first convolution's weights); PyTorch: "
        "eval mode, `torch.inference_mode()`. GFLOP/s count "
        f"{CNN_FLOP_PER_ROW / 1e6:.3f} MFLOP per image (the convolutions and the dense layer).")
    add("")
    loads = ([r["bg_load"] for r in cnn["train"]] + [r["bg_load"] for r in cnn["infer"]]
             + [c["bg_load"] for c in cnn["convs"]])
    busy = [x for x in loads if x > 0.10]
    if busy:
        add(f"**Measured under load**: in {len(busy)} of {len(loads)} CNN rows other processes "
            f"used more than 10 % of the CPUs (up to {max(busy):.0%}); 2-thread rows above 25 % "
            "get no verdict.")
        add("")
    add("### Acceptance (issue 14)")
    add("")
    acceptance_table(add, acceptance14(cnn))
    if cnn["train"]:
        add("### Training epoch (batch 128)")
        add("")
        add("| threads | nnc step ms | nnc last step (64) ms | nnc epoch s | PyTorch step ms | "
            "PyTorch last step ms | PyTorch epoch s | nnc ÷ PyTorch | others |")
        add("|---|---|---|---|---|---|---|---|---|")
        for r in cnn["train"]:
            m = r["median_sec"]
            add(f"| {r['threads']} | {m['nnc/train'] * 1e3:.4g} | {m['nnc/train_last'] * 1e3:.4g} "
                f"| {epoch_sec(m, 'nnc'):.3g} | {m['torch/train'] * 1e3:.4g} | "
                f"{m['torch/train_last'] * 1e3:.4g} | {epoch_sec(m, 'torch'):.3g} | "
                f"{ratio_str(epoch_sec(m, 'nnc') / epoch_sec(m, 'torch'))} | {r['bg_load']:.0%} |")
        add("")
    if cnn["convs"]:
        add("### Convolutions against oneDNN")
        add("")
        add("| convolution | pass | threads | in nnc's step | nnc ms | nnc GFLOP/s | nnc % of peak "
            "| oneDNN ms | oneDNN GFLOP/s | oneDNN % of peak | nnc ÷ oneDNN | others |")
        add("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for c in cnn["convs"]:
            t = c["threads"]
            for p in CONV_PASSES:
                gn, gd = c["gflops"]["nnc/" + p], c["gflops"]["onednn/" + p]
                step = in_step(cnn, c["conv"], p, t)
                add(f"| {conv_label(c['conv'])} | {PASS_NAME[p]} | {t} | "
                    f"{'?' if step is None else 'yes' if step else 'no'} | "
                    f"{c['median_sec']['nnc/' + p] * 1e3:.4g} | {gn:.1f} | "
                    f"{pct(of_peak(gn, t, meta))} | {c['median_sec']['onednn/' + p] * 1e3:.4g} | "
                    f"{gd:.1f} | {pct(of_peak(gd, t, meta))} | {gn / gd:.3f} | {c['bg_load']:.0%} |")
        add("")
        impls = {(c["conv"], p, (c.get("onednn_impl") or {}).get(p)) for c in cnn["convs"]
                 for p in CONV_PASSES}
        add("oneDNN's implementations: " + "; ".join(
            f"{conv} {PASS_NAME[p]} `{i}`" for conv, p, i in sorted(impls) if i) + ".")
        add("")
    rows = infer_rows(cnn)
    if rows:
        add("### Inference (forward pass of one batch)")
        add("")
        add("| batch | threads | nnc ms | oneDNN ms | PyTorch ms | nnc GFLOP/s | nnc % of peak | "
            "oneDNN GFLOP/s | nnc speed ÷ oneDNN's | nnc ÷ PyTorch (time) | others |")
        add("|---|---|---|---|---|---|---|---|---|---|---|")
        for batch, t, m, load, _ in rows:
            gn = batch * CNN_FLOP_PER_ROW / m["nnc/infer"] / 1e9
            gd = batch * CNN_FLOP_PER_ROW / m["onednn/infer"] / 1e9
            add(f"| {batch} | {t} | {m['nnc/infer'] * 1e3:.4g} | {m['onednn/infer'] * 1e3:.4g} | "
                f"{m['torch/infer'] * 1e3:.4g} | {gn:.1f} | {pct(of_peak(gn, t, meta))} | "
                f"{gd:.1f} | {m['onednn/infer'] / m['nnc/infer']:.3f} | "
                f"{ratio_str(m['nnc/infer'] / m['torch/infer'])} | {load:.0%} |")
        add("")
        on = rows[0][4]
        add(f"oneDNN's primitives (`dnnl_cnn`, batch {rows[0][0]}): "
            + ", ".join(f"`{i}`" for i in on.get("impl", []))
            + f"; reorders timed per call: {on.get('reorders_timed', '?')}.")
        add("")
    comp = cnn.get("compile")
    if comp:
        p = comp["phases_ms"]
        add("### Compile time")
        add("")
        add(f"`examples/mnist_cnn.nn` from reading the source to a JIT-compiled training step, "
            f"`nnc-bench --compile-only`, each run a fresh process, median of "
            f"{len(comp['runs_ms'])}: **{p['total']:.0f} ms** (target "
            f"{CNN_COMPILE_TARGET_MS:.0f} ms; others used {comp['bg_load']:.0%} of the CPUs). "
            f"Phases (medians): front end {p['front_end']:.1f} ms, training graph "
            f"{p['training_graph']:.1f}, graph passes {p.get('graph_passes', 0):.1f}, lowering "
            f"{p['lowering']:.1f}, `JitCompiler::compile` {p['jit_compile']:.1f}, `lookup` "
            f"{p['jit_lookup']:.1f}. Runs: {', '.join(f'{x:.0f}' for x in comp['runs_ms'])} ms."
            + (" In the epoch rows' workers (first compile in the process): " + "; ".join(
                f"{thr(r['threads'])} {r['nnc_compile_ms']:.0f} ms" for r in cnn["train"]) + "."
               if cnn["train"] else ""))
        add("")
    if meta.get("cnn_commands"):
        add("Commands, as the harness ran them (T = threads; servers answering `train`, "
            "`train_last`, `infer`, `forward`, `backward_data`, `backward_weights`; the oneDNN "
            "programs built with `gcc -O2 -fopenmp bench/dnnl_cnn.c -ldnnl -o /tmp/dnnl_cnn`, "
            "likewise `dnnl_conv.c`):")
        add("")
        add("```sh")
        for c in meta["cnn_commands"]:
            add(c)
        add("```")
        add("")
