// Reference lowerings of the window ops over NCHW images (ir/ops.def):
// plain loop nests, f32 and f64, written for clarity, not speed (the fast
// kernels are built on top of these later). x is [B,C,H,W], a filter w
// [F,C,KH,KW], a result of the forward ops [B,F|C,OH,OW]; the window's
// stride (sh, sw) and padding (top, left, bottom, right) are Node::win.
// Along an axis, output o and window offset k read input position
// p = o*s + k - pad; positions outside [0, N) are the padding.
//
//   conv2d             out[b,f,oy,ox] = sum_{c,ky,kx} x[b,c,oy*sh+ky-top, ox*sw+kx-left] *
//   w[f,c,ky,kx]
//                      a cross-correlation, as PyTorch's Conv2d and Keras's Conv2D; the
//                      padding reads 0, so its terms are left out (they add 0 unless a
//                      weight is inf or NaN, where PyTorch's explicit zeros give NaN).
//   conv2d_grad_input  dx[b,c,y,x] = sum of g[b,f,oy,ox] * w[f,c,ky,kx] over f, oy, ox with
//                      oy*sh+ky-top = y and ox*sw+kx-left = x: the transposed convolution.
//   conv2d_grad_filter dw[f,c,ky,kx] = sum_{b,oy,ox} g[b,f,oy,ox] * x[b,c,oy*sh+ky-top,
//   ox*sw+kx-left]
//                      over the positions inside the image.
//   max_pool2d         the maximum of the window's positions inside the image (padding is
//                      skipped; every window has one, since padding < window). As
//                      reduce_max (lower_reduce.cpp): llvm.maxnum from -inf, so a NaN is
//                      ignored and a window of only NaN gives -inf (PyTorch propagates NaN).
//   max_pool2d_grad    (x, g): g[b,c,oy,ox] goes to the FIRST maximum of its window in
//                      row-major (ky, kx) order, the first position whose value is greater
//                      than all before it (a NaN never is; a window without a number > -inf
//                      routes to its first position), as PyTorch's max_pool2d backward;
//                      summed where windows overlap, into a result zeroed first.
//   avg_pool2d         the mean of the window's positions inside the image: the count
//                      excludes the padding (Keras/TF AveragePooling2D 'same', PyTorch
//                      AvgPool2d(count_include_pad=False)).
//   avg_pool2d_grad    g[b,c,oy,ox] / count added to each of those positions (zeroed first).
//
// Determinism: every result element is a sum (or max) in one fixed order,
// given below for each op, computed by one thread. Large ops are split
// across threads by planes (an (image, channel) pair, or a filter's
// (f, c) slice), which share no result element, so results do not depend
// on the thread count.
#include "codegen/lowering.h"

#include <limits>

namespace nnc::codegen {

using namespace llvm;
using ir::OpKind;

namespace {

/// Ops with fewer multiply-adds (or compares) than this stay on the calling
/// thread: a split costs more than it saves on tiny ones. The same order of
/// magnitude as the fusion groups' split (lower_fusion_group.cpp); a policy,
/// not a measurement.
constexpr int64_t kParallelMinWork = int64_t(1) << 16;

/// One axis of a window: output extent O, input extent N, window K, stride,
/// padding before.
struct Axis {
  int64_t O, N, K, s, pad;
};

/// Window geometry of `n` on images `img` ([B,C,H,W]) and result or
/// gradient `out` ([B,*,OH,OW]).
struct Geometry {
  Axis y, x;
};

Geometry geometry(const ir::Node &n, const ir::Shape &img, const ir::Shape &out) {
  const ir::Window2D &w = n.win;
  return {{out.dims[2], img.dims[2], w.kh, w.sh, w.top},
          {out.dims[3], img.dims[3], w.kw, w.sw, w.left}};
}

Value *smax(Lowering &L, Value *a, Value *b) {
  return L.b().CreateBinaryIntrinsic(Intrinsic::smax, a, b);
}
Value *smin(Lowering &L, Value *a, Value *b) {
  return L.b().CreateBinaryIntrinsic(Intrinsic::smin, a, b);
}

/// floor(a / s) for s > 0 and any sign of a.
Value *floorDiv(Lowering &L, Value *a, int64_t s) {
  auto &b = L.b();
  Value *shift = b.CreateSelect(b.CreateICmpSLT(a, L.i64(0)), L.i64(s - 1), L.i64(0));
  return b.CreateSDiv(b.CreateSub(a, shift), L.i64(s));
}
Value *ceilDiv(Lowering &L, Value *a, int64_t s) {
  return floorDiv(L, L.b().CreateAdd(a, L.i64(s - 1)), s);
}

/// A half-open range [lo, hi) of loop indices (empty when hi <= lo).
struct Range {
  Value *lo, *hi;
};

/// For output o: the window offsets k with o*s + k - pad inside [0, N).
Range offsetsInside(Lowering &L, const Axis &a, Value *o) {
  auto &b = L.b();
  Value *start = b.CreateSub(b.CreateMul(o, L.i64(a.s)), L.i64(a.pad));
  return {smax(L, L.i64(0), b.CreateNeg(start)),
          smin(L, L.i64(a.K), b.CreateSub(L.i64(a.N), start))};
}

/// For window offset k: the outputs o whose position o*s + k - pad is inside [0, N).
Range outputsInside(Lowering &L, const Axis &a, Value *k) {
  auto &b = L.b();
  Value *first = ceilDiv(L, b.CreateSub(L.i64(a.pad), k), a.s);
  Value *last = floorDiv(L, b.CreateSub(L.i64(a.N - 1 + a.pad), k), a.s);
  return {smax(L, L.i64(0), first), smin(L, L.i64(a.O), b.CreateAdd(last, L.i64(1)))};
}

/// For input position p: the outputs o whose window covers it (k = p + pad - o*s in [0, K)).
Range outputsCovering(Lowering &L, const Axis &a, Value *p) {
  auto &b = L.b();
  Value *shifted = b.CreateAdd(p, L.i64(a.pad));
  Value *first = ceilDiv(L, b.CreateSub(shifted, L.i64(a.K - 1)), a.s);
  Value *last = floorDiv(L, shifted, a.s);
  return {smax(L, L.i64(0), first), smin(L, L.i64(a.O), b.CreateAdd(last, L.i64(1)))};
}

/// Input position o*s + k - pad.
Value *position(Lowering &L, const Axis &a, Value *o, Value *k) {
  auto &b = L.b();
  return b.CreateSub(b.CreateAdd(b.CreateMul(o, L.i64(a.s)), k), L.i64(a.pad));
}

/// Flat index of [i0, i1, i2, i3] in a row-major tensor of `shape` (d1..d3 static).
Value *at(Lowering &L, const ir::Shape &shape, Value *i0, Value *i1, Value *i2, Value *i3) {
  auto &b = L.b();
  const auto &d = shape.dims;
  Value *i = b.CreateAdd(b.CreateMul(i0, L.i64(d[1])), i1);
  i = b.CreateAdd(b.CreateMul(i, L.i64(d[2])), i2);
  return b.CreateAdd(b.CreateMul(i, L.i64(d[3])), i3);
}

/// Flat index of position (y, x) in plane `plane` of a [*,*,H,W] tensor.
Value *inPlane(Lowering &L, const ir::Shape &shape, Value *plane, Value *y, Value *x) {
  auto &b = L.b();
  const auto &d = shape.dims;
  return b.CreateAdd(b.CreateMul(b.CreateAdd(b.CreateMul(plane, L.i64(d[2])), y), L.i64(d[3])), x);
}

/// A scalar accumulator in the function being emitted (a parallelFor task
/// has its own).
class Accumulator {
public:
  Accumulator(Lowering &L, ir::DType t, double init)
      : L_(L), t_(t), slot_(L.entryAlloca(L.elemType(t))) {
    set(L.fconst(t, init));
  }
  Value *get() { return L_.b().CreateLoad(L_.elemType(t_), slot_); }
  void set(Value *v) { L_.b().CreateStore(v, slot_); }
  void add(Value *v) { set(L_.b().CreateFAdd(get(), v)); }

private:
  Lowering &L_;
  ir::DType t_;
  AllocaInst *slot_;
};

/// body(plane) for plane in [0, planes): planes share no result element.
/// Split across threads when the op does at least kParallelMinWork units of
/// work at the largest batch. `planes` is called where the count is needed
/// (inside a task the kernel's values cannot be used).
void overPlanes(Lowering &L, const std::function<Value *()> &planes, int64_t work,
                const std::function<void(Value *)> &body) {
  if (L.options().threads > 1 && work >= kParallelMinWork) {
    L.parallelFor(planes(), [&](Value *begin, Value *end) { L.loop(begin, end, body); });
    return;
  }
  L.loop(planes(), body);
}

int64_t batchOf(Lowering &L, const ir::Shape &s) {
  return s.dims[0] == ir::kBatch ? L.options().maxBatch : s.dims[0];
}

} // namespace

// Sum order per result element: c, ky, kx (ascending).
void lowerConv2D(Lowering &L, const ir::Node &n) {
  const ir::Node *x = n.operand(0), *w = n.operand(1);
  const ir::Shape &xs = x->shape(), &ws = w->shape(), &os = n.shape();
  Geometry geo = geometry(n, xs, os);
  const int64_t F = ws.dims[0], C = ws.dims[1];
  auto &b = L.b();
  int64_t work = batchOf(L, xs) * F * geo.y.O * geo.x.O * C * geo.y.K * geo.x.K;
  overPlanes(
      L, [&] { return b.CreateMul(L.dim(xs.dims[0]), L.i64(F)); }, work,
      [&](Value *plane) {
        Value *img = b.CreateUDiv(plane, L.i64(F)), *f = b.CreateURem(plane, L.i64(F));
        L.loop(L.i64(geo.y.O), [&](Value *oy) {
          Range ky = offsetsInside(L, geo.y, oy);
          L.loop(L.i64(geo.x.O), [&](Value *ox) {
            Range kx = offsetsInside(L, geo.x, ox);
            Accumulator acc(L, n.type.dtype, 0.0);
            L.loop(L.i64(C), [&](Value *c) {
              L.loop(ky.lo, ky.hi, [&](Value *i) {
                Value *iy = position(L, geo.y, oy, i);
                L.loop(kx.lo, kx.hi, [&](Value *j) {
                  Value *ix = position(L, geo.x, ox, j);
                  acc.add(b.CreateFMul(L.load(x, at(L, xs, img, c, iy, ix)),
                                       L.load(w, at(L, ws, f, c, i, j))));
                });
              });
            });
            L.store(&n, at(L, os, img, f, oy, ox), acc.get());
          });
        });
      });
}

// Sum order per result element: f, oy, ox (ascending).
void lowerConv2DGradInput(Lowering &L, const ir::Node &n) {
  const ir::Node *g = n.operand(0), *w = n.operand(1);
  const ir::Shape &gs = g->shape(), &ws = w->shape(), &xs = n.shape();
  Geometry geo = geometry(n, xs, gs);
  const int64_t F = ws.dims[0], C = ws.dims[1];
  auto &b = L.b();
  int64_t work = batchOf(L, gs) * F * geo.y.O * geo.x.O * C * geo.y.K * geo.x.K;
  overPlanes(
      L, [&] { return b.CreateMul(L.dim(xs.dims[0]), L.i64(C)); }, work,
      [&](Value *plane) {
        Value *img = b.CreateUDiv(plane, L.i64(C)), *c = b.CreateURem(plane, L.i64(C));
        L.loop(L.i64(geo.y.N), [&](Value *y) {
          Range oyr = outputsCovering(L, geo.y, y);
          L.loop(L.i64(geo.x.N), [&](Value *xx) {
            Range oxr = outputsCovering(L, geo.x, xx);
            Accumulator acc(L, n.type.dtype, 0.0);
            L.loop(L.i64(F), [&](Value *f) {
              L.loop(oyr.lo, oyr.hi, [&](Value *oy) {
                // ky = y + top - oy*sh, in [0, KH) by the range
                Value *ky =
                    b.CreateSub(b.CreateAdd(y, L.i64(geo.y.pad)), b.CreateMul(oy, L.i64(geo.y.s)));
                L.loop(oxr.lo, oxr.hi, [&](Value *ox) {
                  Value *kx = b.CreateSub(b.CreateAdd(xx, L.i64(geo.x.pad)),
                                          b.CreateMul(ox, L.i64(geo.x.s)));
                  acc.add(b.CreateFMul(L.load(g, at(L, gs, img, f, oy, ox)),
                                       L.load(w, at(L, ws, f, c, ky, kx))));
                });
              });
            });
            L.store(&n, inPlane(L, xs, plane, y, xx), acc.get());
          });
        });
      });
}

// Sum order per result element: b, oy, ox (ascending); split by (f, c).
void lowerConv2DGradFilter(Lowering &L, const ir::Node &n) {
  const ir::Node *x = n.operand(0), *g = n.operand(1);
  const ir::Shape &xs = x->shape(), &gs = g->shape(), &ws = n.shape();
  Geometry geo = geometry(n, xs, gs);
  const int64_t F = ws.dims[0], C = ws.dims[1];
  auto &b = L.b();
  int64_t work = batchOf(L, xs) * F * geo.y.O * geo.x.O * C * geo.y.K * geo.x.K;
  overPlanes(
      L, [&] { return L.i64(F * C); }, work,
      [&](Value *plane) {
        Value *f = b.CreateUDiv(plane, L.i64(C)), *c = b.CreateURem(plane, L.i64(C));
        L.loop(L.i64(geo.y.K), [&](Value *ky) {
          Range oyr = outputsInside(L, geo.y, ky);
          L.loop(L.i64(geo.x.K), [&](Value *kx) {
            Range oxr = outputsInside(L, geo.x, kx);
            Accumulator acc(L, n.type.dtype, 0.0);
            L.loop(L.dim(xs.dims[0]), [&](Value *img) {
              L.loop(oyr.lo, oyr.hi, [&](Value *oy) {
                Value *iy = position(L, geo.y, oy, ky);
                L.loop(oxr.lo, oxr.hi, [&](Value *ox) {
                  Value *ix = position(L, geo.x, ox, kx);
                  acc.add(b.CreateFMul(L.load(g, at(L, gs, img, f, oy, ox)),
                                       L.load(x, at(L, xs, img, c, iy, ix))));
                });
              });
            });
            L.store(&n, inPlane(L, ws, plane, ky, kx), acc.get());
          });
        });
      });
}

// max_pool2d and avg_pool2d: per window, its in-range positions in row-major
// (ky, kx) order.
void lowerPool2D(Lowering &L, const ir::Node &n) {
  const ir::Node *x = n.operand(0);
  const ir::Shape &xs = x->shape(), &os = n.shape();
  Geometry geo = geometry(n, xs, os);
  const bool isMax = n.kind == OpKind::MaxPool2D;
  const ir::DType t = n.type.dtype;
  auto &b = L.b();
  int64_t work = os.numElements(L.options().maxBatch) * geo.y.K * geo.x.K;
  overPlanes(
      L, [&] { return b.CreateMul(L.dim(xs.dims[0]), L.i64(xs.dims[1])); }, work,
      [&](Value *plane) {
        L.loop(L.i64(geo.y.O), [&](Value *oy) {
          Range ky = offsetsInside(L, geo.y, oy);
          L.loop(L.i64(geo.x.O), [&](Value *ox) {
            Range kx = offsetsInside(L, geo.x, ox);
            Accumulator acc(L, t, isMax ? -std::numeric_limits<double>::infinity() : 0.0);
            L.loop(ky.lo, ky.hi, [&](Value *i) {
              Value *iy = position(L, geo.y, oy, i);
              L.loop(kx.lo, kx.hi, [&](Value *j) {
                Value *v = L.load(x, inPlane(L, xs, plane, iy, position(L, geo.x, ox, j)));
                isMax ? acc.set(L.maxnum(acc.get(), v)) : acc.add(v);
              });
            });
            Value *result = acc.get();
            if (!isMax) {
              Value *count = b.CreateMul(b.CreateSub(ky.hi, ky.lo), b.CreateSub(kx.hi, kx.lo));
              result = b.CreateFDiv(result, b.CreateSIToFP(count, L.elemType(t)));
            }
            L.store(&n, inPlane(L, os, plane, oy, ox), result);
          });
        });
      });
}

// The result's plane is zeroed, then each window's gradient is added to its
// positions, windows in row-major (oy, ox) order: a result element's sum is
// in that order.
void lowerPool2DGrad(Lowering &L, const ir::Node &n) {
  const bool isMax = n.kind == OpKind::MaxPool2DGrad;
  const ir::Node *x = isMax ? n.operand(0) : nullptr, *g = n.operand(isMax ? 1 : 0);
  const ir::Shape &xs = n.shape(), &gs = g->shape();
  Geometry geo = geometry(n, xs, gs);
  const ir::DType t = n.type.dtype;
  Type *ty = L.elemType(t);
  auto &b = L.b();
  int64_t work = gs.numElements(L.options().maxBatch) * geo.y.K * geo.x.K;
  overPlanes(
      L, [&] { return b.CreateMul(L.dim(xs.dims[0]), L.i64(xs.dims[1])); }, work,
      [&](Value *plane) {
        Value *first = b.CreateMul(plane, L.i64(geo.y.N * geo.x.N));
        L.loop(L.i64(geo.y.N * geo.x.N),
               [&](Value *i) { L.store(&n, b.CreateAdd(first, i), L.fconst(t, 0.0)); });
        auto addTo = [&](Value *index, Value *v) {
          L.store(&n, index, b.CreateFAdd(L.load(&n, index), v));
        };
        L.loop(L.i64(geo.y.O), [&](Value *oy) {
          Range ky = offsetsInside(L, geo.y, oy);
          L.loop(L.i64(geo.x.O), [&](Value *ox) {
            Range kx = offsetsInside(L, geo.x, ox);
            Value *grad = L.load(g, inPlane(L, gs, plane, oy, ox));
            if (isMax) {
              // The first position greater than all before it (strictly): ties
              // keep the earlier one. Starts at the window's first position.
              Accumulator best(L, t, -std::numeric_limits<double>::infinity());
              AllocaInst *where = L.entryAlloca(b.getInt64Ty());
              b.CreateStore(inPlane(L, xs, plane, position(L, geo.y, oy, ky.lo),
                                    position(L, geo.x, ox, kx.lo)),
                            where);
              L.loop(ky.lo, ky.hi, [&](Value *i) {
                Value *iy = position(L, geo.y, oy, i);
                L.loop(kx.lo, kx.hi, [&](Value *j) {
                  Value *index = inPlane(L, xs, plane, iy, position(L, geo.x, ox, j));
                  Value *v = L.load(x, index);
                  Value *greater = b.CreateFCmpOGT(v, best.get());
                  best.set(b.CreateSelect(greater, v, best.get()));
                  b.CreateStore(b.CreateSelect(greater, index, b.CreateLoad(b.getInt64Ty(), where)),
                                where);
                });
              });
              addTo(b.CreateLoad(b.getInt64Ty(), where), grad);
              return;
            }
            Value *count = b.CreateMul(b.CreateSub(ky.hi, ky.lo), b.CreateSub(kx.hi, kx.lo));
            Value *share = b.CreateFDiv(grad, b.CreateSIToFP(count, ty));
            L.loop(ky.lo, ky.hi, [&](Value *i) {
              Value *iy = position(L, geo.y, oy, i);
              L.loop(kx.lo, kx.hi, [&](Value *j) {
                addTo(inPlane(L, xs, plane, iy, position(L, geo.x, ox, j)), share);
              });
            });
          });
        });
      });
}

} // namespace nnc::codegen
