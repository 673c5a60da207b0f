"""NumPy reference for nnc's image layers (frontend/builtin_conv.cpp,
frontend/builtin_norm.cpp, ir/ops.def "Windows over images"), with
hand-written backward passes, for the parity harness's convolutional cases.
The losses, optimizers, data and .nnw I/O are reference.py's.

Layout NCHW: images x [B, C, H, W], a filter W [F, C, KH, KW] (nnc's).
A net is a list of layer dicts, applied in order:
  {"op": "scale", "by": s}                    y = x * s   (the model's `x / 16`)
  {"op": "conv2d", "filters": F, "kernel": (KH, KW), "stride": (SH, SW),
   "padding": "valid"|"same", "act": a}       a(cross-correlation + b[f])
  {"op": "max_pool"|"avg_pool", "size": (KH, KW), "stride": (SH, SW), "padding": p}
  {"op": "global_avg_pool"}                   [B,C,H,W] -> [B,C], mean over H, W
  {"op": "flatten"}                           [B,C,H,W] -> [B,C*H*W], row-major
  {"op": "batch_norm", "momentum": m, "eps": e}
  {"op": "act", "act": a}                     an activation on its own (`-> relu()`)
  {"op": "dense", "units": n, "act": a}       reference.py's dense: h @ W + b

Semantics, as nnc's front end documents them:
  padding "same" (Keras/TF): along an axis of n positions, window k, stride s:
      out = ceil(n / s), total = max((out - 1) s + k - n, 0),
      before (top/left) = floor(total / 2), after = total - before;
      "valid": none, out = floor((n - k) / s) + 1.
  conv2d reads the padding as zeros.
  max_pool skips the padding; its gradient goes to the first maximum of each
      window in row-major order (ties to the first, as ir/ops.def says).
  avg_pool averages only the positions inside the image (Keras's 'same'
      average pooling; PyTorch's count_include_pad=False), and spreads the
      gradient evenly over them.
  batch_norm (Keras's BatchNormalization, Ioffe & Szegedy 2015): in training,
      mean and the biased variance over B, H, W (images) or B (features);
      y = (x - mean) * gamma / sqrt(var + eps) + beta; then
      running = momentum * running + (1 - momentum) * batch statistic,
      for the mean and the biased variance, running mean/var start at 0/1
      (keras.layers.BatchNormalization: "moving_mean = moving_mean * momentum
      + mean(batch) * (1 - momentum)"; builtin_norm.cpp).
"""
import numpy as np

import reference as ref

# Deliberate errors, to show the parity cases failing (run_parity.py --break):
BREAKS = {
    "conv-grad-half": "conv2d's filter gradient halved (Adam's steps hardly change: "
                      "they do not depend on a gradient element's scale, only through eps)",
    "conv-input-grad-flipped": "conv2d's input gradient with the kernel flipped (a "
                               "transposed convolution done as a true convolution's)",
    "max-pool-last": "max_pool's gradient to the last of tied maxima, not the first",
    "avg-pool-count-padding": "avg_pool divides by the whole window, padding included "
                              "(PyTorch's count_include_pad=True)",
    "bn-grad-no-var-term": "batch_norm's input gradient without the variance's share "
                           "(- xhat * mean(g * gamma * xhat))",
    "bn-unbiased-var": "batch_norm's running variance updated with the unbiased variance "
                       "(PyTorch's)",
    "bn-torch-momentum": "batch_norm's running statistics weighted the other way, "
                         "running = m * batch + (1 - m) * running (PyTorch's momentum)",
}
BROKEN = set()

# ---------------------------------------------------------------- geometry


def pads(n, k, s, padding):
    """(before, after, out) along one axis, as builtin_conv.cpp's samePad."""
    if padding == "valid":
        return 0, 0, (n - k) // s + 1
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2, out


def _geometry(x_shape, layer):
    _, _, h, w = x_shape
    kh, kw = layer["kernel"] if "kernel" in layer else layer["size"]
    sh, sw = layer["stride"]
    top, bottom, oh = pads(h, kh, sh, layer["padding"])
    left, right, ow = pads(w, kw, sw, layer["padding"])
    return kh, kw, sh, sw, (top, bottom, left, right), oh, ow


def _padded(x, p, value):
    t, b, l, r = p
    return np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=value)


def _window(xp, i, j, sh, sw, oh, ow):
    """The values at offset (i, j) of every window: xp[:, :, i + sh*y, j + sw*x]."""
    return xp[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]


def _crop(gp, p, h, w):
    return gp[:, :, p[0]:p[0] + h, p[2]:p[2] + w]


# ---------------------------------------------------------------- layers
# forward(layer, params, name, x) -> (y, cache); backward(layer, params,
# name, cache, g) -> (dx, {param name: gradient}).


def conv2d_forward(layer, params, name, x):
    w, b = params[name + ".W"], params[name + ".b"]
    kh, kw, sh, sw, p, oh, ow = _geometry(x.shape, layer)
    xp = _padded(x, p, 0.0)
    z = np.zeros((x.shape[0], w.shape[0], oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            z += np.einsum("bchw,fc->bfhw", _window(xp, i, j, sh, sw, oh, ow), w[:, :, i, j])
    z += b[None, :, None, None]
    h = ref.ACTIVATIONS[layer["act"]][0](z)
    return h, (x, xp, z, h)


def conv2d_backward(layer, params, name, cache, g):
    x, xp, z, h = cache
    w = params[name + ".W"]
    kh, kw, sh, sw, p, oh, ow = _geometry(x.shape, layer)
    gz = g * ref.ACTIVATIONS[layer["act"]][1](z, h)
    gw = np.zeros_like(w)
    gxp = np.zeros_like(xp)
    for i in range(kh):
        for j in range(kw):
            gw[:, :, i, j] = np.einsum("bfhw,bchw->fc", gz, _window(xp, i, j, sh, sw, oh, ow))
            wij = w[:, :, kh - 1 - i, kw - 1 - j] if "conv-input-grad-flipped" in BROKEN \
                else w[:, :, i, j]
            _window(gxp, i, j, sh, sw, oh, ow)[...] += np.einsum("bfhw,fc->bchw", gz, wij)
    if "conv-grad-half" in BROKEN:
        gw = 0.5 * gw
    grads = {name + ".W": gw, name + ".b": gz.sum(axis=(0, 2, 3))}
    return _crop(gxp, p, x.shape[2], x.shape[3]), grads


def _windows(x, layer, value):
    """Every window's values, [KH*KW, B, C, OH, OW] in row-major window order."""
    kh, kw, sh, sw, p, oh, ow = _geometry(x.shape, layer)
    xp = _padded(x, p, value)
    stack = np.stack([_window(xp, i, j, sh, sw, oh, ow) for i in range(kh) for j in range(kw)])
    return stack, xp.shape


def max_pool_forward(layer, params, name, x):
    stack, _ = _windows(x, layer, -np.inf)
    first = np.argmax(stack, axis=0)  # np.argmax returns the first maximum
    if "max-pool-last" in BROKEN:
        first = len(stack) - 1 - np.argmax(stack[::-1], axis=0)
    return np.take_along_axis(stack, first[None], axis=0)[0], (x, first)


def max_pool_backward(layer, params, name, cache, g):
    x, first = cache
    kh, kw, sh, sw, p, oh, ow = _geometry(x.shape, layer)
    gxp = np.zeros((x.shape[0], x.shape[1], x.shape[2] + p[0] + p[1], x.shape[3] + p[2] + p[3]),
                   dtype=g.dtype)
    for k in range(kh * kw):
        # overlapping windows (stride < size) add up; one offset k touches
        # distinct positions, so += on the strided view is exact.
        _window(gxp, k // kw, k % kw, sh, sw, oh, ow)[...] += np.where(first == k, g, 0.0)
    return _crop(gxp, p, x.shape[2], x.shape[3]), {}


def avg_pool_forward(layer, params, name, x):
    stack, _ = _windows(x, layer, 0.0)
    inside, _ = _windows(np.ones_like(x[:1, :1]), layer, 0.0)
    count = inside.sum(axis=0)  # [1, 1, OH, OW]: positions inside the image
    if "avg-pool-count-padding" in BROKEN:
        count = np.full_like(count, len(inside))
    return stack.sum(axis=0) / count, (x, count)


def avg_pool_backward(layer, params, name, cache, g):
    x, count = cache
    kh, kw, sh, sw, p, oh, ow = _geometry(x.shape, layer)
    gxp = np.zeros((x.shape[0], x.shape[1], x.shape[2] + p[0] + p[1], x.shape[3] + p[2] + p[3]),
                   dtype=g.dtype)
    for i in range(kh):
        for j in range(kw):
            _window(gxp, i, j, sh, sw, oh, ow)[...] += g / count
    return _crop(gxp, p, x.shape[2], x.shape[3]), {}  # the padding's share is dropped


def batch_norm_forward(layer, params, name, x):
    axes = (0, 2, 3) if x.ndim == 4 else (0,)
    shape = (1, -1, 1, 1) if x.ndim == 4 else (1, -1)
    gamma, beta = params[name + ".gamma"].reshape(shape), params[name + ".beta"].reshape(shape)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    inv = 1 / np.sqrt(var + layer["eps"])
    xhat = (x - mean) * inv
    if "bn-unbiased-var" in BROKEN:
        n = x.size // x.shape[1]
        var_run = var * n / (n - 1)
    else:
        var_run = var
    stats = {name + ".running_mean": mean.reshape(-1), name + ".running_var": var_run.reshape(-1)}
    return xhat * gamma + beta, (axes, shape, xhat, inv, stats)


def batch_norm_backward(layer, params, name, cache, g):
    axes, shape, xhat, inv, _ = cache
    gamma = params[name + ".gamma"].reshape(shape)
    grads = {name + ".gamma": (g * xhat).sum(axis=axes), name + ".beta": g.sum(axis=axes)}
    gxhat = g * gamma
    var_term = 0 if "bn-grad-no-var-term" in BROKEN else 1
    dx = inv * (gxhat - gxhat.mean(axis=axes, keepdims=True)
                - var_term * xhat * (gxhat * xhat).mean(axis=axes, keepdims=True))
    return dx, grads


def global_avg_pool_forward(layer, params, name, x):
    return x.mean(axis=(2, 3)), x.shape


def global_avg_pool_backward(layer, params, name, shape, g):
    return np.broadcast_to(g[:, :, None, None] / (shape[2] * shape[3]), shape).copy(), {}


def flatten_forward(layer, params, name, x):
    return x.reshape(x.shape[0], -1), x.shape


def flatten_backward(layer, params, name, shape, g):
    return g.reshape(shape), {}


def scale_forward(layer, params, name, x):
    return x * layer["by"], None


def scale_backward(layer, params, name, cache, g):
    return g * layer["by"], {}


def act_forward(layer, params, name, x):
    h = ref.ACTIVATIONS[layer["act"]][0](x)
    return h, (x, h)


def act_backward(layer, params, name, cache, g):
    return g * ref.ACTIVATIONS[layer["act"]][1](*cache), {}


def dense_forward(layer, params, name, x):
    z = x @ params[name + ".W"] + params[name + ".b"]
    h = ref.ACTIVATIONS[layer["act"]][0](z)
    return h, (x, z, h)


def dense_backward(layer, params, name, cache, g):
    x, z, h = cache
    gz = g * ref.ACTIVATIONS[layer["act"]][1](z, h)
    return gz @ params[name + ".W"].T, {name + ".W": x.T @ gz, name + ".b": gz.sum(axis=0)}


LAYERS = {op: (globals()[op + "_forward"], globals()[op + "_backward"])
          for op in ("conv2d", "max_pool", "avg_pool", "batch_norm", "global_avg_pool",
                     "flatten", "scale", "act", "dense")}
# nnc's instance names: conv2d<k>, batch_norm<k>, dense<k>, counted per kind.
NAMED = ("conv2d", "batch_norm", "dense")


def names(net):
    """The instance name of every layer (None for those without parameters)."""
    count, out = {}, []
    for layer in net:
        op = layer["op"]
        if op in NAMED:
            count[op] = count.get(op, 0) + 1
            out.append(f"{op}{count[op]}")
        else:
            out.append(None)
    return out


# ---------------------------------------------------------------- the network


def init_params(net, in_shape, seed):
    """Seeded float32 parameters for `net` on one sample of `in_shape`
    ([C, H, W]): conv W ~ U(+-sqrt(6 / (fan_in + fan_out))) with fan_in =
    C*KH*KW, fan_out = F*KH*KW (nnc's glorot_uniform), dense W likewise;
    biases ~ U(+-0.1); batch norm gamma ~ U(0.8, 1.2), beta ~ U(+-0.1) (not
    ones and zeros, so that every path counts from step 1). Also returns the
    running statistics' start (0 and 1, as nnc's --init-weights leaves them)."""
    rng = np.random.default_rng(seed)
    params, states = {}, {}
    x = np.zeros((1,) + tuple(in_shape))
    for layer, name in zip(net, names(net)):
        op = layer["op"]
        if op == "conv2d":
            f, (kh, kw) = layer["filters"], layer["kernel"]
            c = x.shape[1]
            a = np.sqrt(6.0 / (c * kh * kw + f * kh * kw))
            params[name + ".W"] = rng.uniform(-a, a, size=(f, c, kh, kw)).astype(np.float32)
            params[name + ".b"] = rng.uniform(-0.1, 0.1, size=(f,)).astype(np.float32)
        elif op == "dense":
            n, m = x.shape[1], layer["units"]
            a = np.sqrt(6.0 / (n + m))
            params[name + ".W"] = rng.uniform(-a, a, size=(n, m)).astype(np.float32)
            params[name + ".b"] = rng.uniform(-0.1, 0.1, size=(m,)).astype(np.float32)
        elif op == "batch_norm":
            c = x.shape[1]
            params[name + ".gamma"] = rng.uniform(0.8, 1.2, size=(c,)).astype(np.float32)
            params[name + ".beta"] = rng.uniform(-0.1, 0.1, size=(c,)).astype(np.float32)
            states[name + ".running_mean"] = np.zeros(c, dtype=np.float32)
            states[name + ".running_var"] = np.ones(c, dtype=np.float32)
        x, _ = LAYERS[op][0](layer, {k: v.astype(np.float64) for k, v in params.items()}, name, x)
    return params, states


def gradients(params, net, x, y, loss_kind):
    """Loss, d loss / d param for every parameter, and the batch statistics
    of every batch_norm ({<name>.running_mean: batch mean, ...})."""
    caches, h = [], x
    for layer, name in zip(net, names(net)):
        h, cache = LAYERS[layer["op"]][0](layer, params, name, h)
        caches.append(cache)
    loss, g = ref.loss_and_grad(loss_kind, h, y)
    grads, stats = {}, {}
    for layer, name, cache in reversed(list(zip(net, names(net), caches))):
        if layer["op"] == "batch_norm":
            stats.update(cache[4])
        g, gp = LAYERS[layer["op"]][1](layer, params, name, cache, g)
        grads.update(gp)
    return loss, grads, stats


def train(params, states, net, x, y, loss_kind, optimizer, batch_size, steps,
          dtype=np.float64):
    """reference.train for a net of image layers: x [N, C, H, W]. Also
    updates the running statistics after every step; returns (losses,
    params, states)."""
    params = {k: v.astype(dtype) for k, v in params.items()}
    states = {k: v.astype(dtype) for k, v in states.items()}
    momentum = {n + ".running_" + s: layer["momentum"] for layer, n in zip(net, names(net))
                if layer["op"] == "batch_norm" for s in ("mean", "var")}
    x = x.astype(dtype)
    losses = []
    for lo, hi in ref.batches(len(x), batch_size, steps):
        loss, grads, stats = gradients(params, net, x[lo:hi], y[lo:hi], loss_kind)
        losses.append(float(loss))
        optimizer.step(params, grads)
        params = {k: v.astype(dtype) for k, v in params.items()}
        for k, batch in stats.items():
            m = momentum[k] if "bn-torch-momentum" not in BROKEN else 1 - momentum[k]
            states[k] = (m * states[k] + (1 - m) * batch).astype(dtype)
    return losses, params, states


# ---------------------------------------------------------------- self test

# Nets over every layer, stride, padding (valid, same with even and odd
# totals, per-side unequal), kernel shape and channel count the cases use and
# more; each [C, H, W] and its layers.
TEST_NETS = [
    ((2, 7, 6), [dict(op="conv2d", filters=3, kernel=(3, 2), stride=(2, 1), padding="same",
                      act="tanh"),
                 dict(op="max_pool", size=(2, 2), stride=(2, 2), padding="same"),
                 dict(op="flatten"), dict(op="dense", units=3, act="linear")]),
    ((1, 8, 8), [dict(op="scale", by=0.5),
                 dict(op="conv2d", filters=3, kernel=(3, 3), stride=(1, 1), padding="same",
                      act="linear"),
                 dict(op="batch_norm", momentum=0.9, eps=1e-3), dict(op="act", act="sigmoid"),
                 dict(op="max_pool", size=(3, 3), stride=(2, 2), padding="valid"),
                 dict(op="conv2d", filters=2, kernel=(2, 2), stride=(1, 1), padding="valid",
                      act="relu"),
                 dict(op="flatten"), dict(op="dense", units=3, act="linear")]),
    ((2, 9, 7), [dict(op="conv2d", filters=4, kernel=(3, 3), stride=(2, 2), padding="same",
                      act="sigmoid"),
                 dict(op="avg_pool", size=(2, 3), stride=(1, 2), padding="same"),
                 dict(op="batch_norm", momentum=0.99, eps=1e-2),
                 dict(op="avg_pool", size=(2, 2), stride=(2, 2), padding="valid"),
                 dict(op="global_avg_pool"), dict(op="batch_norm", momentum=0.9, eps=1e-3),
                 dict(op="dense", units=3, act="linear")]),
]


def self_test(seed=0):
    """Central differences in float64 against the hand-written backward
    passes (cross-entropy over 3 classes, 5 samples); returns the largest
    relative difference."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for t, (shape, net) in enumerate(TEST_NETS):
        p32, _ = init_params(net, shape, seed + t)
        params = {k: v.astype(np.float64) for k, v in p32.items()}
        x = rng.normal(size=(5,) + shape)
        y = rng.integers(0, 3, size=5).astype(np.int32)
        _, grads, _ = gradients(params, net, x, y, "cross_entropy")
        for name, p in params.items():
            for i in np.ndindex(p.shape):
                h = 1e-6
                p[i] += h
                up = gradients(params, net, x, y, "cross_entropy")[0]
                p[i] -= 2 * h
                down = gradients(params, net, x, y, "cross_entropy")[0]
                p[i] += h
                numeric = (up - down) / (2 * h)
                err = abs(numeric - grads[name][i]) / max(abs(numeric), 1e-4)
                if err > 1e-5:
                    raise AssertionError(f"net {t}: d loss / d {name}{list(i)}: "
                                         f"numeric {numeric:.9g}, backprop {grads[name][i]:.9g}")
                worst = max(worst, err)
    return worst


if __name__ == "__main__":
    print(f"reference_conv.py: gradients agree with central differences "
          f"(largest relative difference {self_test():.1e})")
