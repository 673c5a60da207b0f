// reduce_sum / reduce_max: initialize the result, then one pass over the
// operand accumulating into the result element its index maps to.
#include "codegen/lowering.h"

#include <algorithm>
#include <limits>

namespace nnc::codegen {

using namespace llvm;
using ir::OpKind;

void lowerReduce(Lowering &L, const ir::Node &n) {
  const ir::Node *x = n.operand(0);
  ir::DType t = n.type.dtype;
  bool isMax = n.kind == OpKind::ReduceMax;
  Value *init = L.fconst(t, isMax ? -std::numeric_limits<double>::infinity() : 0.0);
  L.loop(L.numElements(n.shape()), [&](Value *i) { L.store(&n, i, init); });

  // Result strides per operand dimension (0 along reduced axes).
  const auto &xd = x->shape().dims;
  std::vector<int64_t> keptShape;
  for (size_t d = 0; d < xd.size(); ++d)
    keptShape.push_back(std::count(n.axes.begin(), n.axes.end(), (int64_t)d) ? 1 : xd[d]);
  std::vector<Value *> outStrides = L.broadcastStrides(ir::Shape(keptShape), x->shape());
  std::vector<Value *> inStrides = L.broadcastStrides(x->shape(), x->shape());
  std::vector<Value *> dims;
  for (int64_t d : xd)
    dims.push_back(L.dim(d));
  auto &b = L.b();
  L.loopNest(dims, [&](const std::vector<Value *> &idx) {
    Value *in = L.i64(0), *out = L.i64(0);
    for (size_t d = 0; d < idx.size(); ++d) {
      in = b.CreateAdd(in, b.CreateMul(idx[d], inStrides[d]));
      out = b.CreateAdd(out, b.CreateMul(idx[d], outStrides[d]));
    }
    Value *acc = L.load(&n, out), *v = L.load(x, in);
    L.store(&n, out, isMax ? L.maxnum(acc, v) : b.CreateFAdd(acc, v));
  });
}

} // namespace nnc::codegen
