// Shape rules of the window ops (conv2d, pooling and their gradients; ops.def).
// Output extent along an axis of n with window k, stride s and padding
// before/after p0/p1: (n + p0 + p1 - k) / s + 1, rounded down, as PyTorch's
// Conv2d/MaxPool2d (ceil_mode off) and Keras's 'valid'/'same' (the front end
// computes 'same' padding, frontend/builtin_conv.cpp).
#include "ir/shape_rules.h"

#include <fmt/format.h>

namespace nnc::ir {

namespace {

TypeOrError fail(std::string msg) { return {{}, std::move(msg)}; }

std::string windowStr(const Window2D &w) {
  return fmt::format("{}x{} window, stride {}x{}, padding {},{},{},{}", w.kh, w.kw, w.sh, w.sw,
                     w.top, w.left, w.bottom, w.right);
}

/// "" or what is wrong with the geometry itself.
std::string badWindow(const Window2D &w) {
  if (w.kh < 1 || w.kw < 1)
    return "the window must be at least 1x1";
  if (w.sh < 1 || w.sw < 1)
    return "the stride must be at least 1";
  if (w.top < 0 || w.left < 0 || w.bottom < 0 || w.right < 0)
    return "padding cannot be negative";
  if (w.top >= w.kh || w.bottom >= w.kh || w.left >= w.kw || w.right >= w.kw)
    return "padding must be smaller than the window";
  return "";
}

/// [B,C,H,W] -> [B,channels,OH,OW], or an error naming `what`.
TypeOrError windowed(const TensorType &x, const Window2D &w, int64_t channels, const std::string &what) {
  if (x.dtype == DType::I32 || x.shape.rank() != 4)
    return fail(fmt::format("{} needs images of shape [B,C,H,W] (f32), got {}", what, x.str()));
  const auto &d = x.shape.dims;
  for (int i = 1; i < 4; ++i)
    if (d[i] == kBatch || d[i] < 1)
      return fail(fmt::format("{} needs images of shape [B,C,H,W] with fixed C, H and W, got {}", what,
                              x.str()));
  if (std::string bad = badWindow(w); !bad.empty())
    return fail(fmt::format("{} on {}: {} ({})", what, x.str(), bad, windowStr(w)));
  int64_t h = d[2] + w.top + w.bottom, wd = d[3] + w.left + w.right;
  if (h < w.kh || wd < w.kw)
    return fail(fmt::format("{}: a {}x{} window does not fit in the {}x{} map of {}{}", what, w.kh, w.kw,
                            d[2], d[3], x.str(),
                            w.top + w.bottom + w.left + w.right ? " (padding included)" : ""));
  return {{x.dtype, Shape({d[0], channels, (h - w.kh) / w.sh + 1, (wd - w.kw) / w.sw + 1})}, ""};
}

} // namespace

TypeOrError conv2dType(const TensorType &x, const TensorType &w, Window2D &win) {
  if (w.dtype != x.dtype || w.shape.rank() != 4 || w.shape.hasBatch())
    return fail(fmt::format("conv2d needs a filter of shape [F,C,KH,KW] ({}), got {}", dtypeName(x.dtype),
                            w.str()));
  const auto &f = w.shape.dims;
  if (x.shape.rank() == 4 && x.shape.dims[1] != f[1])
    return fail(fmt::format("conv2d: the filter {} expects {} input channels, the images {} have {}",
                            w.str(), f[1], x.str(), x.shape.dims[1]));
  win.kh = f[2], win.kw = f[3];
  return windowed(x, win, f[0], "conv2d");
}

TypeOrError pool2dType(const TensorType &x, const Window2D &win, const char *op) {
  return windowed(x, win, x.shape.rank() == 4 ? x.shape.dims[1] : 0, op);
}

TypeOrError conv2dGradInputType(const TensorType &g, const TensorType &w, Window2D win,
                                const TensorType &result) {
  TypeOrError fwd = conv2dType(result, w, win);
  if (!fwd.ok())
    return fail("conv2d_grad_input: " + fwd.error);
  if (!(fwd.type == g))
    return fail(fmt::format("conv2d_grad_input: the gradient {} is not conv2d's result {} for {}",
                            g.str(), fwd.type.str(), result.str()));
  return {result, ""};
}

TypeOrError conv2dGradFilterType(const TensorType &x, const TensorType &g, Window2D win,
                                 const TensorType &result) {
  TypeOrError fwd = conv2dType(x, result, win);
  if (!fwd.ok())
    return fail("conv2d_grad_filter: " + fwd.error);
  if (!(fwd.type == g))
    return fail(fmt::format("conv2d_grad_filter: the gradient {} is not conv2d's result {} for {}",
                            g.str(), fwd.type.str(), x.str()));
  return {result, ""};
}

TypeOrError pool2dGradType(const TensorType &g, const Window2D &win, const TensorType &result,
                           const char *op) {
  TypeOrError fwd = pool2dType(result, win, op);
  if (!fwd.ok())
    return fwd;
  if (!(fwd.type == g))
    return fail(fmt::format("{}: the gradient {} is not the pool's result {} for {}", op, g.str(),
                            fwd.type.str(), result.str()));
  return {result, ""};
}

} // namespace nnc::ir
