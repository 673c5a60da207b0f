// Class ids (i32) that are not inputs: an i32 constant broadcast over the
// batch, and the batch size as an i32, lower to integer code and compute the
// right values. Before the fix codegen built a floating-point constant of
// the integer type (ConstantFP::get(i32)): the lowering crashed with SIGSEGV
// in llvm::Type::getPrimitiveSizeInBits (seen with fuzz_ir on the corpus
// file constfold_shapes.ir and with this test); an i32 batch_size became an
// sitofp to i32, which LLVM's verifier rejects. A fractional i32 constant
// is an IR error now, not a value to round.
#include "codegen/jit_compiler.h"
#include "ir/parser.h"

#include <gtest/gtest.h>

using namespace nnc;

namespace {

TEST(LowerIntValues, ConstantAndBatchSizeAsI32) {
  std::string error;
  auto g = ir::parseGraph(R"(graph @ids {
  %x = input "x" : f32[B,2]
  %id = constant -7 : i32[]
  %ids = broadcast %id : i32[B]
  %n = batch_size : i32[]
  output "y" %x
  output "ids" %ids
  output "n" %n
})",
                          "ids.ir", error);
  ASSERT_TRUE(g) << error;
  codegen::JitCompiler jit(1, 1);
  codegen::KernelSignature sig = jit.add(*g, "ids", 4);
  jit.compile(1);
  codegen::KernelFn fn = jit.lookup("ids");
  std::vector<float> x(8, 1.f), y(8);
  std::vector<int32_t> ids(4, 0), n(1, 0);
  std::vector<void *> ptrs;
  for (const codegen::Binding &b : sig.bindings)
    ptrs.push_back(b.name == "x"     ? (void *)x.data()
                   : b.name == "y"   ? (void *)y.data()
                   : b.name == "ids" ? (void *)ids.data()
                                     : (void *)n.data());
  std::vector<double> workspace(sig.workspaceBytes / 8 + 8);
  fn(ptrs.data(), 3, workspace.data());
  EXPECT_EQ(ids, (std::vector<int32_t>{-7, -7, -7, 0}));
  EXPECT_EQ(n[0], 3);
}

TEST(LowerIntValues, FractionalI32ConstantIsAnError) {
  std::string error;
  auto g = ir::parseGraph("graph @g {\n  %c = constant 2.5 : i32[]\n  output \"c\" %c\n}\n",
                          "frac.ir", error);
  EXPECT_FALSE(g);
  EXPECT_NE(error.find("frac.ir:2:"), std::string::npos) << error;
  EXPECT_NE(error.find("an i32 constant must be a whole number"), std::string::npos) << error;
}

} // namespace
