// Gradients at kinks. 1. The gradient of every built-in loss is its analytic one, checked AT the
// kinks of the form the loss is computed in (z = 0 for BCE with logits, where
// max(z,0) and |z| switch sides; |p - t| = delta for huber; p = t for mae; tied
// logits for cross_entropy and log_softmax). Each model comes from the front
// end as the user writes it, is read back in float64 (its IR text with f32
// types made f64) and run through autodiff and the JIT; d loss / d x is
// compared with central differences of the loss at the listed points, which
// are chosen, not random, so the kinks are hit exactly. Mutation-proof as
// gradient_check_test.cpp: the comparison must FAIL with the gradient zeroed
// or halved. 2. The derivative conventions at the kinks of relu, abs,
// leaky_relu, elu, max/min and the max/min reductions (docs/language.md,
// "Gradients at kinks"), as exact values.
#include "codegen/jit_compiler.h"
#include "frontend/model.h"
#include "ir/autodiff.h"
#include "ir/builder.h"
#include "ir/parser.h"
#include "ir/printer.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace nnc;

namespace {

constexpr double kTolerance = 1e-6;

struct LossCase {
  std::string source;          // a model whose loss reads input x (one row of `width`)
  std::vector<double> x, y;    // x and a real-valued target (empty for labels)
  std::vector<int32_t> labels; // class ids of a `label` target
  int64_t batch;
};

/// The model's forward graph in float64: its IR text with f32 made f64.
std::unique_ptr<ir::Graph> forwardInF64(const std::string &source, std::string &x, std::string &y) {
  frontend::DiagnosticEngine diags;
  auto model = frontend::compileModelSource("kink.nn", source, diags);
  EXPECT_TRUE(model) << (diags.hasErrors() ? diags.errors()[0].message : "");
  if (!model)
    return nullptr;
  x = model->featureInput;
  y = model->targetInput;
  std::string text = ir::printGraph(*model->forward);
  for (size_t at = text.find("f32["); at != std::string::npos; at = text.find("f32[", at))
    text.replace(at, 4, "f64[");
  std::string error;
  auto g = ir::parseGraph(text, "kink.ir", error);
  EXPECT_TRUE(g) << error;
  return g;
}

/// Loss and d loss / d x of one case, from one kernel.
class LossKernel {
public:
  explicit LossKernel(const LossCase &c) : c_(c) {
    graph_ = forwardInF64(c.source, xName_, yName_);
    if (!graph_)
      return;
    ir::Node *in = graph_->findNamed(ir::OpKind::Input, xName_);
    auto grads = ir::buildGradients(*graph_, graph_->loss(), {in});
    ir::Builder(*graph_).output("dx", grads.at(in));
    sig_ = jit_.add(*graph_, "k", c.batch);
    jit_.compile(2);
    fn_ = jit_.lookup("k");
  }
  bool ok() const { return fn_ != nullptr; }

  /// Runs the kernel at `x`; returns the loss, fills `dx`.
  double run(std::vector<double> x, std::vector<double> &dx) {
    std::vector<double> y = c_.y, loss(1);
    std::vector<int32_t> labels = c_.labels;
    dx.assign(x.size(), 0.0);
    std::vector<std::vector<double>> scratch;
    std::vector<void *> ptrs;
    for (auto &bd : sig_.bindings) {
      if (bd.role == codegen::Binding::Input && bd.name == xName_)
        ptrs.push_back(x.data());
      else if (bd.role == codegen::Binding::Input && bd.name == yName_)
        ptrs.push_back(labels.empty() ? (void *)y.data() : (void *)labels.data());
      else if (bd.name == "loss")
        ptrs.push_back(loss.data());
      else if (bd.name == "dx")
        ptrs.push_back(dx.data());
      else
        ptrs.push_back(scratch.emplace_back(bd.type.shape.numElements(c_.batch)).data());
    }
    std::vector<double> workspace(sig_.workspaceBytes / 8 + 8);
    fn_(ptrs.data(), c_.batch, workspace.data());
    return loss[0];
  }

  /// Max relative error between the analytic gradient * scale and central differences.
  double maxRelativeError(double scale) {
    std::vector<double> analytic, unused;
    run(c_.x, analytic);
    double worst = 0;
    const double h = 1e-6;
    for (size_t i = 0; i < c_.x.size(); ++i) {
      std::vector<double> up = c_.x, down = c_.x;
      up[i] += h;
      down[i] -= h;
      double numeric = (run(up, unused) - run(down, unused)) / (2 * h);
      double a = analytic[i] * scale;
      double err =
          std::fabs(a - numeric) / std::max(1.0, std::max(std::fabs(a), std::fabs(numeric)));
      worst = std::max(worst, err);
    }
    return worst;
  }

private:
  LossCase c_;
  std::unique_ptr<ir::Graph> graph_;
  std::string xName_, yName_;
  codegen::JitCompiler jit_;
  codegen::KernelSignature sig_;
  codegen::KernelFn fn_ = nullptr;
};

void expectAnalyticGradient(const LossCase &c) {
  LossKernel k(c);
  ASSERT_TRUE(k.ok());
  EXPECT_LT(k.maxRelativeError(1.0), kTolerance);
  EXPECT_GT(k.maxRelativeError(0.5), kTolerance) << "a halved gradient would pass";
  EXPECT_GT(k.maxRelativeError(0.0), kTolerance) << "a zeroed gradient would pass";
}

std::string regression(const std::string &loss) {
  return "model m {\n input x: f32[1]\n target y: f32[1]\n p = x * 1\n loss " + loss + "\n}\n";
}

} // namespace

// Issue 12: dL/dz at z = 0 was (1 - y)/N (max gave the tie to z, abs'(0) = 0)
// instead of (sigmoid(0) - y)/N; this test failed on the composite lowering
// (max relative error 0.1 = 0.5/N at the three z = 0 rows).
TEST(LossGradient, BinaryCrossEntropyWithLogitsAtZero) {
  expectAnalyticGradient({regression("binary_cross_entropy_with_logits(p, y)"),
                          {0, 0, 0, 1.5, -2},
                          {1, 0, 0.25, 1, 0},
                          {},
                          5});
}

TEST(LossGradient, BinaryCrossEntropyWithLogitsValue) {
  // The exact gradient (sigmoid(z) - y)/N, not only a consistent one.
  LossKernel k({regression("binary_cross_entropy_with_logits(p, y)"), {}, {1, 0}, {}, 2});
  ASSERT_TRUE(k.ok());
  std::vector<double> dx;
  double loss = k.run({0, 0}, dx);
  EXPECT_DOUBLE_EQ(loss, std::log(2.0));
  EXPECT_DOUBLE_EQ(dx[0], -0.25);
  EXPECT_DOUBLE_EQ(dx[1], 0.25);
}

TEST(LossGradient, HuberAtDeltaAndZero) {
  // d = x - y at +-delta (where the quadratic and linear pieces meet), at 0 and beyond.
  expectAnalyticGradient(
      {regression("huber(p, y)"), {1.5, -0.5, 0.5, 2.5, -0.3}, {0.5, 0.5, 0.5, 0, 0}, {}, 5});
  expectAnalyticGradient({regression("huber(p, y, delta: 0.25)"),
                          {0.75, 0.25, 0.5, 2.5, -0.1},
                          {0.5, 0.5, 0.5, 0, 0},
                          {},
                          5});
}

TEST(LossGradient, MaeAtZero) {
  // |d|'(0) = 0 (sign(0), as torch.nn.L1Loss), which central differences also give.
  expectAnalyticGradient({regression("mae(p, y)"), {0.5, 1, -1, 0, 2}, {0.5, 0.5, 0, 0, 0}, {}, 5});
}

TEST(LossGradient, Mse) {
  expectAnalyticGradient({regression("mse(p, y)"), {0.5, 1, -1, 0}, {0.5, 0.5, 0, 0.25}, {}, 4});
}

TEST(LossGradient, CrossEntropyWithTiedLogits) {
  const char *src = "model m {\n input x: f32[3]\n label y: class[3]\n logits = x * 1\n"
                    " loss cross_entropy(logits, y)\n}\n";
  expectAnalyticGradient({src, {0, 0, 0, 1, 1, -1, 2, -1, 2}, {}, {0, 2, 1}, 3});
}

TEST(LossGradient, LogSoftmaxNllWithTiedLogits) {
  // The composite form: the max shift of log_softmax has tied maxima here.
  const char *src = "model m {\n input x: f32[3]\n target y: f32[3]\n"
                    " loss mean(sum(-log_softmax(x * 1) * y, axis: 1))\n}\n";
  expectAnalyticGradient({src, {0, 0, 0, 1, 1, -1, 2, -1, 2}, {1, 0, 0, 0, 0, 1, 0, 1, 0}, {}, 3});
}

namespace {

/// d loss / d x of `loss sum(<f of x> * y)` at one row x, weights y.
std::vector<double> gradientOf(const std::string &f, std::vector<double> x, std::vector<double> y) {
  std::string src = "model m {\n input x: f32[" + std::to_string(x.size()) + "]\n target y: f32[" +
                    std::to_string(y.size()) + "]\n loss sum((" + f + ") * y)\n}\n";
  LossKernel k({src, x, y, {}, 1});
  EXPECT_TRUE(k.ok()) << f;
  std::vector<double> dx;
  if (k.ok())
    k.run(x, dx);
  return dx;
}

} // namespace

// Issue 12: max(x, 0) had the derivative 1 at 0 (ties went to x), relu 0;
// now max/min split a tie evenly (torch.maximum, jax.lax.max) and relu'(0) = 0
// (torch.relu, jax.nn.relu). Failed before: max(x, 0) and min(x, 0) gave 1 at
// 0, leaky_relu (a max) 1 instead of alpha, a reduction 1 to each tied maximum.
TEST(KinkGradient, ElementwiseConventions) {
  std::vector<double> x = {0, 2, -2, 0}, w = {1, 3, 5, 7};
  EXPECT_EQ(gradientOf("relu(x)", x, w), (std::vector<double>{0, 3, 0, 0}));
  EXPECT_EQ(gradientOf("abs(x)", x, w), (std::vector<double>{0, 3, -5, 0}));
  EXPECT_EQ(gradientOf("max(x, 0)", x, w), (std::vector<double>{0.5, 3, 0, 3.5}));
  EXPECT_EQ(gradientOf("min(x, 0)", x, w), (std::vector<double>{0.5, 0, 5, 3.5}));
  EXPECT_EQ(gradientOf("leaky_relu(x, alpha: 0.25)", x, w),
            (std::vector<double>{0.25, 3, 1.25, 1.75}));
  std::vector<double> elu = gradientOf("elu(x, alpha: 0.5)", x, w);
  ASSERT_EQ(elu.size(), 4u);
  EXPECT_EQ(elu[0], 0.5);
  EXPECT_EQ(elu[1], 3);
  EXPECT_DOUBLE_EQ(elu[2], 5 * 0.5 * std::exp(-2.0));
  EXPECT_EQ(elu[3], 3.5);
}

TEST(KinkGradient, MaxOfTwoTensorsSplitsTies) {
  // max(x, 2x) and min(x, 2x) tie at x = 0: d/dx = (1 + 2)/2 there.
  std::vector<double> x = {0, 2, -2, 0}, w = {1, 3, 5, 7};
  EXPECT_EQ(gradientOf("max(x, 2 * x)", x, w), (std::vector<double>{1.5, 6, 5, 10.5}));
  EXPECT_EQ(gradientOf("min(x, 2 * x)", x, w), (std::vector<double>{1.5, 3, 10, 10.5}));
  EXPECT_EQ(gradientOf("max(x * 1, 0.5)", {0, 2, -2, 0.5}, w), (std::vector<double>{0, 3, 0, 3.5}));
}

TEST(KinkGradient, ReductionsSplitAmongTiedExtremes) {
  const char *max = "max(x, axis: 1, keepdims: true)", *min = "min(x, axis: 1, keepdims: true)";
  EXPECT_EQ(gradientOf(max, {1, -1, 1, 1}, {6}), (std::vector<double>{2, 0, 2, 2}));
  EXPECT_EQ(gradientOf(min, {-1, 1, -1, 2}, {6}), (std::vector<double>{3, 0, 3, 0}));
  EXPECT_EQ(gradientOf(max, {3, -1, 1, 1}, {6}), (std::vector<double>{6, 0, 0, 0}));
}
