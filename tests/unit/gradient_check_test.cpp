// Finite-difference gradient checks for every differentiable op but the
// window ops (window_gradient_test.cpp), in float64 through the real
// pipeline; the harness and how it is mutation-proof: gradient_check.h.
#include "gradient_check.h"

using namespace nnc;
using ir::DType;
using ir::Node;
using ir::OpKind;
using ir::Shape;

namespace {

using gradcheck::expectGradientsMatch;
using gradcheck::GradientCheck;

using B = ir::Builder;
using Ins = std::vector<Node *>;
const Shape kBx4({ir::kBatch, 4});

GradientCheck unaryCase(OpKind k, double lo = -2, double hi = 2) {
  return GradientCheck({{"x", kBx4, lo, hi}}, [k](B &b, Ins &in) { return b.unary(k, in[0]); });
}
GradientCheck binaryCase(OpKind k, Shape sa, Shape sb, double lo = -2, double hi = 2) {
  return GradientCheck({{"a", sa, lo, hi}, {"b", sb, lo, hi}},
                       [k](B &b, Ins &in) { return b.binary(k, in[0], in[1]); });
}

} // namespace

TEST(GradientCheck, Neg) { auto c = unaryCase(OpKind::Neg); expectGradientsMatch(c); }
TEST(GradientCheck, Exp) { auto c = unaryCase(OpKind::Exp); expectGradientsMatch(c); }
TEST(GradientCheck, Log) { auto c = unaryCase(OpKind::Log, 0.5, 3); expectGradientsMatch(c); }
TEST(GradientCheck, Sqrt) { auto c = unaryCase(OpKind::Sqrt, 0.5, 3); expectGradientsMatch(c); }
TEST(GradientCheck, Relu) {
  // Values away from the kink at 0, where the derivative is undefined.
  auto pos = unaryCase(OpKind::Relu, 0.1, 2);
  expectGradientsMatch(pos);
  auto mixed = GradientCheck({{"x", kBx4, 0.1, 2}}, [](B &b, Ins &in) {
    return b.unary(OpKind::Relu, b.sub(in[0], b.constant(1.05, DType::F64)));
  });
  expectGradientsMatch(mixed);
}
TEST(GradientCheck, Sigmoid) { auto c = unaryCase(OpKind::Sigmoid); expectGradientsMatch(c); }
TEST(GradientCheck, Tanh) { auto c = unaryCase(OpKind::Tanh); expectGradientsMatch(c); }

TEST(GradientCheck, AddSameShape) { auto c = binaryCase(OpKind::Add, kBx4, kBx4); expectGradientsMatch(c); }
TEST(GradientCheck, AddBroadcastRow) { auto c = binaryCase(OpKind::Add, kBx4, Shape({4})); expectGradientsMatch(c); }
TEST(GradientCheck, SubBroadcastColumn) {
  auto c = binaryCase(OpKind::Sub, kBx4, Shape({ir::kBatch, 1}));
  expectGradientsMatch(c);
}
TEST(GradientCheck, MulBroadcastScalar) { auto c = binaryCase(OpKind::Mul, kBx4, Shape({})); expectGradientsMatch(c); }
TEST(GradientCheck, MulBroadcastBoth) {
  auto c = binaryCase(OpKind::Mul, Shape({ir::kBatch, 1}), Shape({1, 4}));
  expectGradientsMatch(c);
}
TEST(GradientCheck, Div) { auto c = binaryCase(OpKind::Div, kBx4, Shape({4}), 0.5, 2); expectGradientsMatch(c); }
TEST(GradientCheck, Pow) { auto c = binaryCase(OpKind::Pow, kBx4, kBx4, 0.5, 2); expectGradientsMatch(c); }

TEST(GradientCheck, MatMul) {
  GradientCheck c({{"x", Shape({ir::kBatch, 5})}, {"w", Shape({5, 4})}},
                  [](B &b, Ins &in) { return b.matmul(in[0], in[1]); });
  expectGradientsMatch(c);
}
TEST(GradientCheck, MatMulVector) {
  GradientCheck c({{"x", Shape({5})}, {"w", Shape({5, 4})}},
                  [](B &b, Ins &in) { return b.matmul(in[0], in[1]); });
  expectGradientsMatch(c);
}
TEST(GradientCheck, Transpose) {
  GradientCheck c({{"x", kBx4}}, [](B &b, Ins &in) { return b.transpose(in[0]); });
  expectGradientsMatch(c);
}
TEST(GradientCheck, Reshape) {
  GradientCheck c({{"x", Shape({ir::kBatch, 2, 3})}},
                  [](B &b, Ins &in) { return b.reshape(in[0], Shape({ir::kBatch, 6})); });
  expectGradientsMatch(c);
}
TEST(GradientCheck, Broadcast) {
  GradientCheck c({{"x", Shape({4})}}, [](B &b, Ins &in) { return b.broadcast(in[0], kBx4); });
  expectGradientsMatch(c);
}
TEST(GradientCheck, ReduceSumEachAxis) {
  for (int64_t axis : {0, 1, -1})
    for (bool keep : {false, true}) {
      GradientCheck c({{"x", Shape({ir::kBatch, 4, 2})}},
                      [=](B &b, Ins &in) { return b.reduceSum(in[0], {axis}, keep); });
      SCOPED_TRACE(testing::Message() << "axis " << axis << " keepdims " << keep);
      expectGradientsMatch(c);
    }
}
TEST(GradientCheck, ReduceMax) {
  GradientCheck c({{"x", kBx4}}, [](B &b, Ins &in) { return b.reduceMax(in[0], {1}, false); });
  expectGradientsMatch(c);
}
TEST(GradientCheck, Softmax) {
  GradientCheck c({{"x", kBx4}}, [](B &b, Ins &in) { return b.softmax(in[0]); });
  expectGradientsMatch(c);
}
TEST(GradientCheck, SoftmaxCrossEntropy) {
  GradientCheck c({{"logits", kBx4, -3, 3}},
                  [](B &b, Ins &in) { return b.softmaxCrossEntropy(in[0], in[1]); });
  c.withLabels({2, 0, 3});
  expectGradientsMatch(c);
}
TEST(GradientCheck, MeanWithBatchSize) {
  GradientCheck c({{"x", kBx4}}, [](B &b, Ins &in) { return b.meanAll(b.mul(in[0], in[0])); });
  expectGradientsMatch(c);
}
TEST(GradientCheck, FanOutSumsGradients) {
  // x is used three times: d/dx (x*x + exp(x)) = 2x + exp(x).
  GradientCheck c({{"x", kBx4}}, [](B &b, Ins &in) {
    return b.add(b.mul(in[0], in[0]), b.unary(OpKind::Exp, in[0]));
  });
  expectGradientsMatch(c);
}
TEST(GradientCheck, DenseLayerChain) {
  GradientCheck c({{"x", Shape({ir::kBatch, 3})}, {"w", Shape({3, 4})}, {"bias", Shape({4})}},
                  [](B &b, Ins &in) {
                    return b.unary(OpKind::Tanh, b.add(b.matmul(in[0], in[1]), in[2]));
                  });
  expectGradientsMatch(c);
}

TEST(GradientCheck, Abs) {
  auto pos = unaryCase(OpKind::Abs, 0.1, 2), neg = unaryCase(OpKind::Abs, -2, -0.1);
  expectGradientsMatch(pos);
  expectGradientsMatch(neg);
}
TEST(GradientCheck, Erf) { auto c = unaryCase(OpKind::Erf); expectGradientsMatch(c); }
TEST(GradientCheck, Softplus) { auto c = unaryCase(OpKind::Softplus, -3, 3); expectGradientsMatch(c); }
TEST(GradientCheck, MaximumBroadcast) {
  auto c = binaryCase(OpKind::Maximum, kBx4, Shape({4}));
  expectGradientsMatch(c);
}
TEST(GradientCheck, Minimum) { auto c = binaryCase(OpKind::Minimum, kBx4, kBx4); expectGradientsMatch(c); }
TEST(GradientCheck, Select) {
  // The mask comes from a comparison (no gradient); both branches get theirs.
  GradientCheck c({{"a", kBx4}, {"b", Shape({4})}}, [](B &b, Ins &in) {
    Node *mask = b.binary(OpKind::Greater, in[0], b.constant(0.0, DType::F64));
    return b.select(mask, b.mul(in[0], in[0]), in[1]);
  });
  expectGradientsMatch(c);
}
TEST(GradientCheck, Concat) {
  GradientCheck c({{"a", Shape({ir::kBatch, 2})}, {"b", Shape({ir::kBatch, 3})}},
                  [](B &b, Ins &in) { return b.concat({in[0], in[1], in[0]}, -1); });
  expectGradientsMatch(c);
}
TEST(GradientCheck, Slice) {
  for (int64_t start : {0, 2, 3}) {
    GradientCheck c({{"x", Shape({ir::kBatch, 6})}},
                    [=](B &b, Ins &in) { return b.slice(in[0], 1, start, 3); });
    SCOPED_TRACE(testing::Message() << "start " << start);
    expectGradientsMatch(c);
  }
}
TEST(GradientCheck, DropoutIsMaskedIdentity) {
  // The same mask (same step and seed) scales forward and backward.
  GradientCheck c({{"x", Shape({ir::kBatch, 16})}}, [](B &b, Ins &in) {
    return b.mul(in[0], b.dropoutMask(b.constant(3.0, DType::F64), in[0]->shape(), 0.5, 7));
  });
  expectGradientsMatch(c);
}
TEST(GradientCheck, ReshapeTransposeChain) {
  // [B,6] -> [B,2,3] -> reduce -> [B,3] ... and a weight reshaped, transposed, used twice.
  GradientCheck c({{"x", Shape({ir::kBatch, 6})}, {"w", Shape({2, 6})}}, [](B &b, Ins &in) {
    Node *x3 = b.reshape(in[0], Shape({ir::kBatch, 2, 3}));
    Node *s = b.reduceSum(x3, {1}, false);                     // [B,3]
    Node *wt = b.transpose(b.reshape(in[1], Shape({4, 3})));   // [3,4]
    Node *y = b.matmul(s, wt);                                 // [B,4]
    return b.mul(y, b.transpose(b.transpose(y)));              // y used twice through a chain
  });
  expectGradientsMatch(c);
}
