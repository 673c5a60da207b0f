// The finite-difference gradient check shared by gradient_check_test.cpp and
// window_gradient_test.cpp, in float64 through the real pipeline (autodiff
// -> LLVM -> JIT). For a case:
//   loss = sum(op(inputs) * R)  with a fixed random R, so every output
//   element weighs differently; d loss / d input from the generated backward
//   kernel is compared with central differences of the forward kernel.
// Mutation-proof: expectGradientsMatch also checks that the same comparison
// FAILS when the analytic gradient is zeroed or halved (a rule replaced by 0
// or by half of itself is caught). The kernels are compiled and both
// gradients computed once per case; each scale is compared with them.
#pragma once
#include "codegen/jit_compiler.h"
#include "ir/autodiff.h"
#include "ir/builder.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <numeric>
#include <optional>
#include <random>

namespace nnc::gradcheck {

inline constexpr int64_t kBatch = 3; // B bound to this in every check
inline constexpr double kTolerance = 1e-6;

struct Leaf {
  std::string name;
  ir::Shape shape;
  double lo = -2, hi = 2; // range of random values
  /// Values a shuffled, evenly spaced grid over [lo, hi]: no two closer than
  /// (hi - lo) / count, so a max has no ties and a step of the central
  /// difference does not change which element is the largest.
  bool distinct = false;
};

/// Builds `loss = sum(f(leaves) * R)` and checks every leaf's gradient.
class GradientCheck {
public:
  using Fn = std::function<ir::Node *(ir::Builder &, std::vector<ir::Node *> &)>;
  GradientCheck(std::vector<Leaf> leaves, Fn f) : leaves_(std::move(leaves)), f_(std::move(f)) {}

  /// Labels for softmax_cross_entropy cases (an i32[B] input named "labels").
  void withLabels(std::vector<int32_t> l) { labels_ = std::move(l); }

  /// Max relative error between analytic gradient * scale and central differences.
  double maxRelativeError(double scale) {
    if (!analytic_)
      computeGradients();
    double worst = 0;
    for (auto &l : leaves_) {
      const auto &an = analytic_->at(l.name), &nu = numeric_.at(l.name);
      for (size_t i = 0; i < an.size(); ++i) {
        double a = an[i] * scale;
        double err = std::fabs(a - nu[i]) / std::max(1.0, std::max(std::fabs(a), std::fabs(nu[i])));
        worst = std::max(worst, err);
      }
    }
    return worst;
  }

private:
  std::unique_ptr<ir::Graph> build(bool withGradients) {
    auto g = std::make_unique<ir::Graph>("check");
    ir::Builder b(*g);
    std::vector<ir::Node *> in;
    for (auto &l : leaves_)
      in.push_back(b.input(l.name, {ir::DType::F64, l.shape}));
    if (!labels_.empty())
      in.push_back(b.input("labels", {ir::DType::I32, ir::Shape({ir::kBatch})}, 4));
    ir::Node *y = f_(b, in);
    ir::Node *r = b.input("R", y->type);
    ir::Node *prod = b.mul(y, r);
    std::vector<int64_t> axes;
    for (size_t i = 0; i < prod->shape().rank(); ++i)
      axes.push_back((int64_t)i);
    ir::Node *loss = axes.empty() ? prod : b.reduceSum(prod, axes, false);
    b.output("loss", loss);
    if (withGradients) {
      std::vector<ir::Node *> wrt(in.begin(), in.begin() + leaves_.size());
      auto grads = ir::buildGradients(*g, loss, wrt);
      for (size_t i = 0; i < leaves_.size(); ++i)
        b.output("grad." + leaves_[i].name, grads.at(in[i]));
    }
    return g;
  }

  void computeGradients() {
    codegen::JitCompiler jit;
    auto fwdGraph = build(false), gradGraph = build(true);
    codegen::KernelSignature fwd = jit.add(*fwdGraph, "fwd", kBatch);
    codegen::KernelSignature grd = jit.add(*gradGraph, "grad", kBatch);
    jit.compile(2);
    codegen::KernelFn fwdFn = jit.lookup("fwd"), grdFn = jit.lookup("grad");

    std::mt19937_64 rng(1234);
    std::map<std::string, std::vector<double>> data;
    for (auto &l : leaves_) {
      auto &v = data[l.name];
      v.resize(l.shape.numElements(kBatch));
      if (l.distinct) {
        std::vector<size_t> order(v.size());
        std::iota(order.begin(), order.end(), 0);
        std::shuffle(order.begin(), order.end(), rng);
        for (size_t i = 0; i < v.size(); ++i)
          v[i] =
              l.lo + (l.hi - l.lo) * (double)order[i] / (double)std::max<size_t>(1, v.size() - 1);
        continue;
      }
      std::uniform_real_distribution<double> d(l.lo, l.hi);
      for (auto &x : v)
        x = d(rng);
    }
    const ir::Node *rNode = fwdGraph->findNamed(ir::OpKind::Input, "R");
    std::uniform_real_distribution<double> rd(0.5, 1.5);
    auto &rv = data["R"];
    rv.resize(rNode->shape().numElements(kBatch));
    for (auto &x : rv)
      x = rd(rng);

    std::vector<double> workspaceF(fwd.workspaceBytes / 8 + 8),
        workspaceG(grd.workspaceBytes / 8 + 8);
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
    analytic_.emplace();
    for (auto &l : leaves_)
      (*analytic_)[l.name] = outputs.at("grad." + l.name);

    const double h = 1e-6;
    for (auto &l : leaves_) {
      auto &v = data[l.name];
      auto &nu = numeric_[l.name];
      nu.resize(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        double saved = v[i];
        v[i] = saved + h;
        double up = loss();
        v[i] = saved - h;
        double down = loss();
        v[i] = saved;
        nu[i] = (up - down) / (2 * h);
      }
    }
  }

  std::vector<Leaf> leaves_;
  Fn f_;
  std::vector<int32_t> labels_;
  std::optional<std::map<std::string, std::vector<double>>> analytic_;
  std::map<std::string, std::vector<double>> numeric_;
};

/// Passes with the true gradient; must fail with the gradient zeroed or halved.
inline void expectGradientsMatch(GradientCheck &c) {
  EXPECT_LT(c.maxRelativeError(1.0), kTolerance);
  EXPECT_GT(c.maxRelativeError(0.5), kTolerance) << "a halved gradient rule would pass";
  EXPECT_GT(c.maxRelativeError(0.0), kTolerance) << "a zeroed gradient rule would pass";
}

} // namespace nnc::gradcheck
