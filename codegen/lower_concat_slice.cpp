// concat and slice along one axis. Both view a tensor as [outer, extent,
// inner] around the axis and copy contiguous runs of extent*inner elements.
#include "codegen/lowering.h"

namespace nnc::codegen {

using namespace llvm;

namespace {

struct AxisView {
  Value *outer, *inner;
};

AxisView aroundAxis(Lowering &L, const ir::Shape &s, int64_t axis) {
  Value *outer = L.i64(1), *inner = L.i64(1);
  for (int64_t d = 0; d < (int64_t)s.rank(); ++d) {
    if (d < axis)
      outer = L.b().CreateMul(outer, L.dim(s.dims[d]));
    else if (d > axis)
      inner = L.b().CreateMul(inner, L.dim(s.dims[d]));
  }
  return {outer, inner};
}

/// dst[i*dstRow + dstOff + j] = src[i*srcRow + srcOff + j] for i < outer, j < run.
void copyRuns(Lowering &L, const ir::Node *src, const ir::Node *dst, Value *outer, Value *run,
              Value *srcRow, Value *srcOff, Value *dstRow, Value *dstOff) {
  auto &b = L.b();
  L.loop(outer, [&](Value *i) {
    Value *s0 = b.CreateAdd(b.CreateMul(i, srcRow), srcOff);
    Value *d0 = b.CreateAdd(b.CreateMul(i, dstRow), dstOff);
    L.loop(run, [&](Value *j) { L.store(dst, b.CreateAdd(d0, j), L.load(src, b.CreateAdd(s0, j))); });
  });
}

} // namespace

void lowerConcat(Lowering &L, const ir::Node &n) {
  int64_t axis = n.axes[0];
  AxisView v = aroundAxis(L, n.shape(), axis);
  auto &b = L.b();
  Value *dstRow = b.CreateMul(L.i64(n.shape().dims[axis]), v.inner);
  int64_t offset = 0;
  for (const ir::Node *part : n.operands) {
    int64_t extent = part->shape().dims[axis];
    Value *run = b.CreateMul(L.i64(extent), v.inner);
    copyRuns(L, part, &n, v.outer, run, run, L.i64(0), dstRow, b.CreateMul(L.i64(offset), v.inner));
    offset += extent;
  }
}

void lowerSlice(Lowering &L, const ir::Node &n) {
  const ir::Node *x = n.operand(0);
  int64_t axis = n.axes[0];
  AxisView v = aroundAxis(L, x->shape(), axis);
  auto &b = L.b();
  Value *srcRow = b.CreateMul(L.i64(x->shape().dims[axis]), v.inner);
  Value *run = b.CreateMul(L.i64(n.shape().dims[axis]), v.inner);
  copyRuns(L, x, &n, v.outer, run, srcRow, b.CreateMul(L.i64(n.start), v.inner), run, L.i64(0));
}

} // namespace nnc::codegen
