// Functions that rearrange elements:
//   reshape(x, [d...])      per sample: x f32[B,...] -> f32[B,d...] (the batch
//                           dimension is kept implicitly); a tensor without B
//                           (a param) is reshaped whole. One d may be -1 (inferred).
//   flatten(x)              f32[B,d...] -> f32[B, prod d]; without B: f32[prod d]
//   concat(a, b, ..., axis: -1)   along `axis` (not the batch); other dimensions equal
//   transpose(x)            2-D tensors without the batch dimension (params)
// Errors name the shapes: element counts that differ, a bad axis, a batch
// tensor given to transpose.
#include "frontend/builtin.h"
#include "frontend/constants.h"
#include "ir/shape_rules.h"

#include <fmt/format.h>
#include <limits>

namespace nnc::frontend {

namespace {

/// Elements of `dims` other than the batch dimension.
int64_t perSample(const std::vector<int64_t> &dims) { return ir::Shape(dims).numElements(1); }

/// The batch dimension, if any, must lead (it always does for values the
/// language can build; checked so that reshape cannot move it).
bool batchLeads(LoweringContext &cx, const ast::Expr &call, const ir::Node *x) {
  const auto &dims = x->shape().dims;
  for (size_t i = 1; i < dims.size(); ++i)
    if (dims[i] == ir::kBatch) {
      cx.error(call.opSpan,
               fmt::format("{} needs the batch dimension first, got {}", call.text, x->type.str()));
      return false;
    }
  return true;
}

ir::Node *lowerReshape(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  auto dims = constantIntList(cx, *args[1], "the shape of reshape");
  if (!x || !dims || !batchLeads(cx, call, x))
    return nullptr;
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < dims->size(); ++i) {
    int64_t d = (*dims)[i];
    if (d == -1 && inferred < 0) {
      inferred = (int64_t)i;
    } else if (d <= 0) {
      cx.error(args[1]->span, d == -1 ? std::string("reshape can infer only one dimension (-1)")
                                      : fmt::format("reshape needs positive dimensions or one -1, "
                                                    "got {}",
                                                    d));
      return nullptr;
    } else {
      known = ir::checkedMul(known, d).value_or(std::numeric_limits<int64_t>::max());
    }
  }
  int64_t count = perSample(x->shape().dims);
  const char *unit = x->shape().hasBatch() ? " per sample" : "";
  if (inferred >= 0 && count % known != 0) {
    cx.error(args[1]->span, fmt::format("cannot reshape {} with -1: its {} elements{} are not a "
                                        "multiple of {}",
                                        x->type.str(), count, unit, known));
    return nullptr;
  }
  std::vector<int64_t> to = *dims;
  if (inferred >= 0)
    to[inferred] = count / known;
  if (x->shape().hasBatch())
    to.insert(to.begin(), ir::kBatch);
  if (perSample(to) != count) {
    cx.error(args[1]->span,
             fmt::format("cannot reshape {} to {}: {} elements{}, but the new "
                         "shape holds {}",
                         x->type.str(), ir::TensorType{x->type.dtype, ir::Shape(to)}.str(), count,
                         unit, perSample(to)));
    return nullptr;
  }
  cx.setLoc(call.opSpan);
  return cx.builder.reshape(x, ir::Shape(to));
}

ir::Node *lowerFlatten(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  if (!x || !batchLeads(cx, call, x))
    return nullptr;
  std::vector<int64_t> to = {perSample(x->shape().dims)};
  if (x->shape().hasBatch())
    to.insert(to.begin(), ir::kBatch);
  cx.setLoc(call.opSpan);
  return cx.builder.reshape(x, ir::Shape(to));
}

ir::Node *lowerConcat(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  std::vector<ir::Node *> parts;
  bool ok = true;
  std::vector<const ast::Expr *> exprs = {args[0]};
  exprs.insert(exprs.end(), args.rest.begin(), args.rest.end());
  for (const ast::Expr *e : exprs) {
    ir::Node *p = tensorArg(cx, e);
    ok &= p != nullptr;
    parts.push_back(p);
  }
  std::optional<int64_t> axis = -1;
  if (args[1])
    axis = constantInt(cx, *args[1], "the axis of concat");
  if (!ok || !axis)
    return nullptr;
  std::vector<ir::TensorType> types;
  for (ir::Node *p : parts) {
    if (!requireFloat(cx, p, call.opSpan, "concat"))
      return nullptr;
    if (p->shape().isScalar()) {
      cx.error(call.opSpan, fmt::format("concat needs tensors with at least one dimension, got {}",
                                        p->type.str()));
      return nullptr;
    }
    types.push_back(p->type);
  }
  int64_t normalized = *axis;
  ir::TypeOrError t = ir::concatType(types, normalized);
  if (!t.ok()) {
    cx.error(args[1] && t.error.rfind("axis", 0) == 0 ? args[1]->span : call.opSpan, t.error);
    return nullptr;
  }
  cx.setLoc(call.opSpan);
  return cx.builder.concat(parts, normalized);
}

ir::Node *lowerTranspose(LoweringContext &cx, const ast::Expr &call, const BoundArgs &args) {
  ir::Node *x = tensorArg(cx, args[0]);
  if (!x || !requireFloat(cx, x, call.opSpan, "transpose"))
    return nullptr;
  if (x->shape().rank() != 2 || x->shape().hasBatch()) {
    cx.error(call.opSpan, fmt::format("transpose needs a 2-D tensor without the batch dimension "
                                      "(such as a param), got {}",
                                      x->type.str()));
    return nullptr;
  }
  cx.setLoc(call.opSpan);
  return cx.builder.transpose(x);
}

} // namespace

std::vector<Builtin> shapeBuiltins() {
  return {
      {"reshape", {{"x"}, {"shape"}}, lowerReshape},
      {"flatten", {{"x"}}, lowerFlatten},
      {"concat", {{"x", true, true}, {"axis", false}}, lowerConcat},
      {"transpose", {{"x"}}, lowerTranspose},
  };
}

} // namespace nnc::frontend
