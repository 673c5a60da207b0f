// The fused and composite losses stay finite and exact for extreme logits
// (|z| = 1e4), where a naive softmax or log(sigmoid) overflows, and so do
// their gradients. Models come from the front end, code from the JIT.
#include "codegen/jit_compiler.h"
#include "frontend/model.h"
#include "ir/autodiff.h"
#include "ir/builder.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace nnc;

namespace {

struct Result {
  float loss;
  std::vector<float> grad; // d loss / d x
};

/// Loss and its gradient w.r.t. the input x of `source` (logits = x).
Result lossAndGradient(const std::string &source, std::vector<float> x, std::vector<float> target,
                       std::vector<int32_t> labels, int64_t batch) {
  frontend::DiagnosticEngine diags;
  auto model = frontend::compileModelSource("stability.nn", source, diags);
  EXPECT_TRUE(model) << (diags.hasErrors() ? diags.errors()[0].message : "");
  ir::Graph &g = *model->forward;
  ir::Node *in = g.findNamed(ir::OpKind::Input, model->featureInput);
  auto grads = ir::buildGradients(g, g.loss(), {in});
  ir::Builder(g).output("dx", grads.at(in));
  codegen::JitCompiler jit;
  codegen::KernelSignature sig = jit.add(g, "k", batch);
  jit.compile(2);
  Result r{0, std::vector<float>(x.size())};
  std::vector<void *> ptrs;
  std::vector<std::vector<float>> scratch;
  for (auto &bd : sig.bindings) {
    if (bd.role == codegen::Binding::Input && bd.name == model->featureInput)
      ptrs.push_back(x.data());
    else if (bd.role == codegen::Binding::Input)
      ptrs.push_back(model->classification ? (void *)labels.data() : (void *)target.data());
    else if (bd.name == "loss")
      ptrs.push_back(&r.loss);
    else if (bd.name == "dx")
      ptrs.push_back(r.grad.data());
    else
      ptrs.push_back(scratch.emplace_back(bd.type.shape.numElements(batch)).data());
  }
  std::vector<double> workspace(sig.workspaceBytes / 8 + 8);
  jit.lookup("k")(ptrs.data(), batch, workspace.data());
  return r;
}

} // namespace

TEST(LossStability, CrossEntropyWithLogitsOfTenThousand) {
  const char *src = "model m {\n input x: f32[3]\n label y: class[3]\n logits = x * 1\n"
                    " loss cross_entropy(logits, y)\n}\n";
  // Row 0: the right class has the largest logit -> loss 0, grad 0.
  // Row 1: the right class is 2e4 below the largest -> loss 2e4.
  Result r = lossAndGradient(src, {1e4f, -1e4f, 0, 1e4f, -1e4f, 0}, {}, {0, 1}, 2);
  EXPECT_FLOAT_EQ(r.loss, 1e4f); // mean of 0 and 2e4
  for (float g : r.grad)
    EXPECT_TRUE(std::isfinite(g));
  EXPECT_FLOAT_EQ(r.grad[3], 0.5f);  // (p - onehot) / B: p = 1 for the wrong class
  EXPECT_FLOAT_EQ(r.grad[4], -0.5f); // the right class
}

TEST(LossStability, BinaryCrossEntropyWithLogitsOfTenThousand) {
  const char *src = "model m {\n input x: f32[1]\n target y: f32[1]\n logits = x * 1\n"
                    " loss binary_cross_entropy_with_logits(logits, y)\n}\n";
  // z = 1e4, y = 1: 0;  z = -1e4, y = 1: 1e4;  z = 1e4, y = 0: 1e4;  z = -1e4, y = 0: 0.
  Result r = lossAndGradient(src, {1e4f, -1e4f, 1e4f, -1e4f}, {1, 1, 0, 0}, {}, 4);
  EXPECT_FLOAT_EQ(r.loss, 5e3f);
  std::vector<float> expected = {0, -0.25f, 0.25f, 0}; // (sigmoid(z) - y) / B
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(r.grad[i], expected[i], 1e-6) << i;
}
