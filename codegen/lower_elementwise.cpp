// Elementwise ops: one loop over the result. Operands of the result's shape
// (or scalars) are read with the same flat index; broadcast operands get a
// loop nest with per-dimension strides (0 along broadcast dimensions).
#include "codegen/lowering.h"

namespace nnc::codegen {

using namespace llvm;
using ir::OpKind;

bool isScalarLike(const ir::Shape &s) { return !s.hasBatch() && s.numElements(1) == 1; }

Value *elementwiseValue(Lowering &L, const ir::Node &n, const std::vector<Value *> &args) {
  if (ir::isElementwiseUnary(n.kind))
    return L.scalarUnary(n.kind, args[0]);
  if (ir::isElementwiseBinary(n.kind))
    return L.scalarBinary(n.kind, args[0], args[1]);
  if (n.kind == OpKind::Select) {
    Value *zero = ConstantFP::get(args[0]->getType(), 0.0);
    return L.b().CreateSelect(L.b().CreateFCmpUNE(args[0], zero), args[1], args[2]);
  }
  return args[0]; // broadcast, reshape: a copy
}

void lowerElementwise(Lowering &L, const ir::Node &n) {
  const ir::Shape &out = n.shape();
  // Reshape keeps the element order, so its operand is read flat.
  bool flat = n.kind == OpKind::Reshape;
  if (!flat) {
    flat = true;
    for (const ir::Node *op : n.operands)
      if (!(op->shape() == out) && !isScalarLike(op->shape()))
        flat = false;
  }
  if (flat) {
    L.loop(L.numElements(out), [&](Value *i) {
      std::vector<Value *> args;
      for (const ir::Node *op : n.operands)
        args.push_back(L.load(op, isScalarLike(op->shape()) ? L.i64(0) : i));
      L.store(&n, i, elementwiseValue(L, n, args));
    });
    return;
  }
  std::vector<std::vector<Value *>> strides;
  for (const ir::Node *op : n.operands)
    strides.push_back(L.broadcastStrides(op->shape(), out));
  std::vector<Value *> dims;
  for (int64_t d : out.dims)
    dims.push_back(L.dim(d));
  std::vector<Value *> outStrides = L.broadcastStrides(out, out);
  L.loopNest(dims, [&](const std::vector<Value *> &idx) {
    auto &b = L.b();
    std::vector<Value *> args;
    for (size_t k = 0; k < n.operands.size(); ++k) {
      Value *off = L.i64(0);
      for (size_t d = 0; d < idx.size(); ++d)
        off = b.CreateAdd(off, b.CreateMul(idx[d], strides[k][d]));
      args.push_back(L.load(n.operands[k], off));
    }
    Value *o = L.i64(0);
    for (size_t d = 0; d < idx.size(); ++d)
      o = b.CreateAdd(o, b.CreateMul(idx[d], outStrides[d]));
    L.store(&n, o, elementwiseValue(L, n, args));
  });
}

} // namespace nnc::codegen
