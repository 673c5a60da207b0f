// Finite-difference gradient checks for every differentiable op, in float64
// through the real pipeline (autodiff -> LLVM -> JIT). For each case:
//   loss = sum(op(inputs) * R)  with a fixed random R, so every output
//   element weighs differently; d loss / d input from the generated backward
//   kernel is compared with central differences of the forward kernel.
// Mutation-proof: every case also checks that the same comparison FAILS when
// the analytic gradient is zeroed or halved (a rule replaced by 0 or by half
// of itself is caught), see `expectGradientsMatch`.
#include "codegen/jit_compiler.h"
#include "ir/autodiff.h"
#include "ir/builder.h"

#include <cmath>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <random>

using namespace nnc;
using ir::DType;
using ir::Node;
using ir::OpKind;
using ir::Shape;

namespace {

constexpr int64_t kBatch = 3; // B bound to this in every check
constexpr double kTolerance = 1e-6;

struct Leaf {
  std::string name;
  Shape shape;
  double lo = -2, hi = 2; // range of random values
};

/// Builds `loss = sum(f(leaves) * R)` and checks every leaf's gradient.
class GradientCheck {
public:
  GradientCheck(std::vector<Leaf> leaves, std::function<Node *(ir::Builder &, std::vector<Node *> &)> f)
      : leaves_(std::move(leaves)), f_(std::move(f)) {}

  /// Labels for softmax_cross_entropy cases (an i32[B] input named "labels").
  void withLabels(std::vector<int32_t> l) { labels_ = std::move(l); }

  /// Max relative error between analytic gradient * scale and central differences.
  double maxRelativeError(double scale);

private:
  std::unique_ptr<ir::Graph> build(bool withGradients);
  std::vector<Leaf> leaves_;
  std::function<Node *(ir::Builder &, std::vector<Node *> &)> f_;
  std::vector<int32_t> labels_;
};

std::unique_ptr<ir::Graph> GradientCheck::build(bool withGradients) {
  auto g = std::make_unique<ir::Graph>("check");
  ir::Builder b(*g);
  std::vector<Node *> in;
  for (auto &l : leaves_)
    in.push_back(b.input(l.name, {DType::F64, l.shape}));
  if (!labels_.empty())
    in.push_back(b.input("labels", {DType::I32, Shape({ir::kBatch})}, 4));
  Node *y = f_(b, in);
  Node *r = b.input("R", y->type);
  Node *prod = b.mul(y, r);
  std::vector<int64_t> axes;
  for (size_t i = 0; i < prod->shape().rank(); ++i)
    axes.push_back((int64_t)i);
  Node *loss = axes.empty() ? prod : b.reduceSum(prod, axes, false);
  b.output("loss", loss);
  if (withGradients) {
    std::vector<Node *> wrt(in.begin(), in.begin() + leaves_.size());
    auto grads = ir::buildGradients(*g, loss, wrt);
    for (size_t i = 0; i < leaves_.size(); ++i)
      b.output("grad." + leaves_[i].name, grads.at(in[i]));
  }
  return g;
}

double GradientCheck::maxRelativeError(double scale) {
  codegen::JitCompiler jit;
  auto fwdGraph = build(false), gradGraph = build(true);
  codegen::KernelSignature fwd = jit.add(*fwdGraph, "fwd", kBatch);
  codegen::KernelSignature grd = jit.add(*gradGraph, "grad", kBatch);
  jit.compile(2);
  codegen::KernelFn fwdFn = jit.lookup("fwd"), grdFn = jit.lookup("grad");

  std::mt19937_64 rng(1234);
  std::map<std::string, std::vector<double>> data;
  for (auto &l : leaves_) {
    std::uniform_real_distribution<double> d(l.lo, l.hi);
    auto &v = data[l.name];
    v.resize(l.shape.numElements(kBatch));
    for (auto &x : v)
      x = d(rng);
  }
  const ir::Node *rNode = fwdGraph->findNamed(OpKind::Input, "R");
  std::uniform_real_distribution<double> rd(0.5, 1.5);
  auto &rv = data["R"];
  rv.resize(rNode->shape().numElements(kBatch));
  for (auto &x : rv)
    x = rd(rng);

  std::vector<double> workspaceF(fwd.workspaceBytes / 8 + 8), workspaceG(grd.workspaceBytes / 8 + 8);
  std::map<std::string, std::vector<double>> outputs;
  auto bindAll = [&](const codegen::KernelSignature &sig) {
    std::vector<void *> ptrs;
    for (auto &bd : sig.bindings) {
      if (bd.role == codegen::Binding::Input && bd.name == "labels")
        ptrs.push_back(labels_.data());
      else if (bd.role == codegen::Binding::Input)
        ptrs.push_back(data.at(bd.name).data());
      else {
        auto &o = outputs[bd.name];
        o.assign(bd.type.shape.numElements(kBatch), 0.0);
        ptrs.push_back(o.data());
      }
    }
    return ptrs;
  };
  auto loss = [&] {
    auto ptrs = bindAll(fwd);
    fwdFn(ptrs.data(), kBatch, workspaceF.data());
    return outputs["loss"][0];
  };

  auto gptrs = bindAll(grd);
  grdFn(gptrs.data(), kBatch, workspaceG.data());
  std::map<std::string, std::vector<double>> analytic;
  for (auto &l : leaves_)
    analytic[l.name] = outputs.at("grad." + l.name);

  double worst = 0;
  const double h = 1e-6;
  for (auto &l : leaves_) {
    auto &v = data[l.name];
    for (size_t i = 0; i < v.size(); ++i) {
      double saved = v[i];
      v[i] = saved + h;
      double up = loss();
      v[i] = saved - h;
      double down = loss();
      v[i] = saved;
      double numeric = (up - down) / (2 * h);
      double a = analytic[l.name][i] * scale;
      double err = std::fabs(a - numeric) / std::max(1.0, std::max(std::fabs(a), std::fabs(numeric)));
      worst = std::max(worst, err);
    }
  }
  return worst;
}

/// Passes with the true gradient; must fail with the gradient zeroed or halved.
void expectGradientsMatch(GradientCheck &c) {
  EXPECT_LT(c.maxRelativeError(1.0), kTolerance);
  EXPECT_GT(c.maxRelativeError(0.5), kTolerance) << "a halved gradient rule would pass";
  EXPECT_GT(c.maxRelativeError(0.0), kTolerance) << "a zeroed gradient rule would pass";
}

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
