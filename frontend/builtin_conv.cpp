// Built-in layers over images, NCHW: x f32[B,C,H,W] (an input declared
// `f32[C, H, W]`; ir/ops.def "Windows over images").
//   conv2d(x, filters, kernel, stride: 1, padding: valid, activation: linear)
//       -> f32[B,filters,OH,OW]. kernel and stride: an integer or [h, w].
//       Params <prefix>conv2d<k>.W f32[filters,C,KH,KW], glorot_uniform with
//       fan_in = C*KH*KW and fan_out = filters*KH*KW (Keras's Conv2D default,
//       runtime/param_store.h), and <prefix>conv2d<k>.b f32[filters], zeros,
//       added as [filters,1,1]. activation: one of activationNames() but the
//       softmax family (which would normalize along the image's width).
//   max_pool(x, size, stride: size, padding: valid)   -> f32[B,C,OH,OW]
//   avg_pool(x, size, stride: size, padding: valid)   the same; 'same' padding
//       averages only the positions inside the image (Keras/TF).
//   global_avg_pool(x)   -> f32[B,C], the mean over H and W (reduce_sum / (H*W)).
// padding: `valid` (none) or `same`, as Keras/TF: along an axis of extent n
// with window k and stride s, out = ceil(n/s), total = max((out-1)*s + k - n, 0),
// before (top/left) = floor(total/2), after (bottom/right) = total - before.
// Sizes are positive integers or, in a layer, dimensions its parameters bind.
// Errors (at the argument or the call, naming the shapes): a value that is
// not [B,C,H,W], a window larger than the (padded) map, non-positive sizes,
// an unknown padding.
#include "frontend/builtin.h"
#include "frontend/constants.h"
#include "ir/shape_rules.h"
#include "support/spelling.h"

#include <algorithm>
#include <fmt/format.h>

namespace nnc::frontend {

namespace {

/// A positive size: an integer, or a dimension bound in the current layer.
std::optional<int64_t> positiveSize(LoweringContext &cx, const ast::Expr &e,
                                    const std::string &what) {
  std::optional<int64_t> v;
  if (e.kind == ast::ExprKind::Name && cx.scope().dims.count(e.text))
    v = cx.scope().dims.at(e.text);
  else
    v = constantInt(cx, e, what);
  if (v && *v < 1) {
    cx.error(e.span, fmt::format("{} must be positive, got {}", what, *v));
    return std::nullopt;
  }
  return v;
}

/// `3` (3 x 3) or `[3, 2]` (height 3, width 2), both positive.
std::optional<std::pair<int64_t, int64_t>> sizePair(LoweringContext &cx, const ast::Expr &e,
                                                    const std::string &what) {
  if (e.kind != ast::ExprKind::List) {
    auto v = positiveSize(cx, e, what);
    if (!v)
      return std::nullopt;
    return std::make_pair(*v, *v);
  }
  if (e.operands.size() != 2) {
    cx.error(e.span, fmt::format("{} is one integer or [height, width], got a list of {}", what,
                                 e.operands.size()));
    return std::nullopt;
  }
  auto h = positiveSize(cx, *e.operands[0], what);
  auto w = positiveSize(cx, *e.operands[1], what);
  if (!h || !w)
    return std::nullopt;
  return std::make_pair(*h, *w);
}

/// `padding:`: true for same, false for valid (the default).
std::optional<bool> samePadding(LoweringContext &cx, const ast::Expr *arg, const char *layer) {
  if (!arg)
    return false;
  auto name = constantName(cx, *arg, fmt::format("the padding of {}", layer));
  if (!name)
    return std::nullopt;
  if (*name == "same" || *name == "valid")
    return *name == "same";
  std::string hint = support::didYouMean(*name, {"valid", "same"});
  cx.error(arg->span, fmt::format("unknown padding '{}'{}", *name,
                                  hint.empty() ? "; expected valid or same" : hint));
  return std::nullopt;
}

/// Keras/TF 'same' padding along one axis: {before, after}.
std::pair<int64_t, int64_t> samePad(int64_t n, int64_t k, int64_t s) {
  int64_t out = (n + s - 1) / s;
  int64_t total = std::max<int64_t>((out - 1) * s + k - n, 0);
  return {total / 2, total - total / 2};
}

/// Checks that `x` holds images, f32[B,C,H,W].
bool requireImages(LoweringContext &cx, const ast::Expr &call, const ir::Node *x) {
  if (!requireFloat(cx, x, call.opSpan, call.text))
    return false;
  const auto &d = x->shape().dims;
  if (d.size() == 4 && d[0] == ir::kBatch)
    return true;
  std::string hint;
  if (x->kind == ir::OpKind::Input && d.size() == 2)
    hint = fmt::format("; declare the input as images, {}: f32[C, H, W]", x->name);
  else if (d.size() == 2 && d[0] == ir::kBatch)
    hint = "; reshape it first: -> reshape([C, H, W])";
  cx.error(call.opSpan, fmt::format("{} needs images of shape [B,C,H,W], got {}{}", call.text,
                                    x->type.str(), hint));
  return false;
}

/// The window of a layer over `x` (images): `k` window, `s` stride, padding.
/// Reports a window that does not fit in the (padded) map.
std::optional<ir::Window2D> window(LoweringContext &cx, const ast::Expr &call, const ir::Node *x,
                                   std::pair<int64_t, int64_t> k, std::pair<int64_t, int64_t> s,
                                   bool same, const char *windowWord) {
  ir::Window2D win;
  win.kh = k.first, win.kw = k.second, win.sh = s.first, win.sw = s.second;
  int64_t h = x->shape().dims[2], w = x->shape().dims[3];
  if (same) {
    std::tie(win.top, win.bottom) = samePad(h, win.kh, win.sh);
    std::tie(win.left, win.right) = samePad(w, win.kw, win.sw);
  }
  if (h + win.top + win.bottom < win.kh || w + win.left + win.right < win.kw) {
    cx.error(call.opSpan, fmt::format("{}: a {}x{} {} does not fit in the {}x{} map of {}{}",
                                      call.text, win.kh, win.kw, windowWord, h, w, x->type.str(),
                                      same ? "" : "; use a smaller one or padding: same"));
    return std::nullopt;
  }
  return win;
}

ir::Node *lowerConv2d(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  auto filters = positiveSize(cx, *args[1], "the number of filters of conv2d");
  auto kernel = sizePair(cx, *args[2], "the kernel of conv2d");
  std::optional<std::pair<int64_t, int64_t>> stride = std::make_pair(1, 1);
  if (args[3])
    stride = sizePair(cx, *args[3], "the stride of conv2d");
  auto same = samePadding(cx, args[4], "conv2d");
  auto activation = activationArg(cx, args[5], "conv2d");
  if (activation && (*activation == "softmax" || *activation == "log_softmax")) {
    cx.error(args[5]->span,
             fmt::format("the activation of conv2d applies per element, but {} normalizes along "
                         "the last axis (the image's width); apply it after flatten() and dense",
                         *activation));
    return nullptr;
  }
  if (!x || !filters || !kernel || !stride || !same || !activation || !requireImages(cx, call, x))
    return nullptr;
  auto win = window(cx, call, x, *kernel, *stride, *same, "kernel");
  if (!win)
    return nullptr;
  int64_t channels = x->shape().dims[1];
  ir::TensorType wType{x->type.dtype, ir::Shape({*filters, channels, win->kh, win->kw})};
  ir::TypeOrError t = ir::conv2dType(x->type, wType, *win);
  if (!t.ok()) { // not expected after the checks above; reported, never a crash
    cx.error(call.opSpan, t.error);
    return nullptr;
  }
  std::string name = cx.nextInstanceName("conv2d");
  cx.setLoc(call.opSpan);
  ir::Builder &b = cx.builder;
  ir::Node *w = b.param(name + ".W", wType, {ir::Initializer::GlorotUniform});
  ir::Node *bias = b.param(name + ".b", {x->type.dtype, {*filters}}, {ir::Initializer::Zeros});
  ir::Node *y = b.add(b.conv2d(x, w, *win), b.reshape(bias, ir::Shape({*filters, 1, 1})));
  return applyActivation(cx, *activation, y, call.opSpan);
}

/// max_pool and avg_pool.
ir::Node *lowerPool(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args, bool max) {
  ir::Node *x = tensorArg(cx, args[0]);
  std::string what = fmt::format("the size of {}", call.text);
  auto size = sizePair(cx, *args[1], what);
  auto stride = size;
  if (args[2])
    stride = sizePair(cx, *args[2], fmt::format("the stride of {}", call.text));
  auto same = samePadding(cx, args[3], call.text.c_str());
  if (!x || !size || !stride || !same || !requireImages(cx, call, x))
    return nullptr;
  auto win = window(cx, call, x, *size, *stride, *same, "window");
  if (!win)
    return nullptr;
  ir::TypeOrError t = ir::pool2dType(x->type, *win, call.text.c_str());
  if (!t.ok()) {
    cx.error(call.opSpan, t.error);
    return nullptr;
  }
  cx.setLoc(call.opSpan);
  return max ? cx.builder.maxPool2d(x, *win) : cx.builder.avgPool2d(x, *win);
}

ir::Node *lowerMaxPool(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  return lowerPool(cx, call, args, true);
}

ir::Node *lowerAvgPool(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  return lowerPool(cx, call, args, false);
}

ir::Node *lowerGlobalAvgPool(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  if (!x || !requireImages(cx, call, x))
    return nullptr;
  const auto &d = x->shape().dims;
  cx.setLoc(call.opSpan);
  ir::Builder &b = cx.builder;
  return b.div(b.reduceSum(x, {2, 3}, false), b.constant((double)(d[2] * d[3]), x->type.dtype));
}

} // namespace

std::vector<Builtin> convBuiltins() {
  return {
      {"conv2d",
       {{"x"},
        {"filters"},
        {"kernel"},
        {"stride", false},
        {"padding", false},
        {"activation", false}},
       lowerConv2d},
      {"max_pool", {{"x"}, {"size"}, {"stride", false}, {"padding", false}}, lowerMaxPool},
      {"avg_pool", {{"x"}, {"size"}, {"stride", false}, {"padding", false}}, lowerAvgPool},
      {"global_avg_pool", {{"x"}}, lowerGlobalAvgPool},
  };
}

} // namespace nnc::frontend
