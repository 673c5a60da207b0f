// dropout_mask draws 0 or 1/(1-rate) with P(0) = rate, a fresh mask per
// step value, the same mask for the same step.
#include "codegen/jit_compiler.h"
#include "ir/builder.h"

#include <gtest/gtest.h>

using namespace nnc;

namespace {

std::vector<float> drawMask(double rate, float step, int64_t n) {
  ir::Graph g("mask");
  ir::Builder b(g);
  ir::Node *s = b.input("step", {ir::DType::F32, ir::Shape({})});
  b.output("mask", b.dropoutMask(s, ir::Shape({n}), rate, 11));
  codegen::JitCompiler jit;
  codegen::KernelSignature sig = jit.add(g, "draw", 1);
  jit.compile(2);
  std::vector<float> mask(n);
  std::vector<double> workspace(sig.workspaceBytes / 8 + 8);
  void *bindings[] = {&step, mask.data()};
  jit.lookup("draw")(bindings, 1, workspace.data());
  return mask;
}

} // namespace

TEST(DropoutMask, DropsTheRateAndScalesTheRest) {
  for (double rate : {0.1, 0.5, 0.8}) {
    std::vector<float> m = drawMask(rate, 1, 20000);
    int64_t dropped = 0;
    for (float v : m) {
      if (v == 0.0f)
        ++dropped;
      else
        ASSERT_FLOAT_EQ(v, (float)(1.0 / (1.0 - rate)));
    }
    // Binomial(20000, rate): 5 standard deviations is < 0.018.
    EXPECT_NEAR((double)dropped / m.size(), rate, 0.018) << "rate " << rate;
  }
}

TEST(DropoutMask, NewMaskEachStepSameMaskSameStep) {
  EXPECT_EQ(drawMask(0.5, 4, 256), drawMask(0.5, 4, 256));
  EXPECT_NE(drawMask(0.5, 4, 256), drawMask(0.5, 5, 256));
}

TEST(DropoutMask, RateZeroKeepsEverything) {
  for (float v : drawMask(0.0, 2, 1000))
    ASSERT_EQ(v, 1.0f);
}
