// A kernel lowered into several modules (JitCompiler's modulesPerKernel,
// codegen/lower_graph.h ModuleShare) computes exactly what the one-module
// kernel does: every part function is defined in one module and called from
// the kernel function in module 0.
#include "codegen/jit_compiler.h"
#include "ir/parser.h"

#include <gtest/gtest.h>
#include <map>
#include <random>

using namespace nnc;

namespace {

const char *kGraph = R"(graph @net {
  %x = input "x" : f32[B,5]
  %w = param "w" zeros() : f32[5,7]
  %b = param "b" zeros() : f32[7]
  %h = matmul %x, %w : f32[B,7]
  %hb = add %h, %b : f32[B,7]
  %r = relu %hb : f32[B,7]
  %t = tanh %r : f32[B,7]
  %e = exp %t : f32[B,7]
  %s = reduce_sum %e axes=[1] : f32[B]
  %l = log %s : f32[B]
  %m = reduce_sum %l axes=[0] : f32[]
  output "loss" %m
  output "rows" %s
  %c = constant 0.5 : f32[]
  %b2 = mul %b, %c : f32[7]
  assign %b, %b2
})";

std::map<std::string, std::vector<float>> run(int modules) {
  std::string error;
  auto g = ir::parseGraph(kGraph, "net.ir", error);
  EXPECT_TRUE(g) << error;
  if (!g)
    return {};
  codegen::JitCompiler jit(1, modules);
  codegen::KernelSignature sig = jit.add(*g, "net", 6);
  jit.compile(2);
  codegen::KernelFn fn = jit.lookup("net");
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::map<std::string, std::vector<float>> buffers;
  std::vector<void *> ptrs;
  for (const codegen::Binding &bd : sig.bindings) {
    std::vector<float> &buf = buffers[bd.name];
    buf.resize(std::max<int64_t>(1, bd.type.shape.numElements(6)));
    for (float &v : buf)
      v = u(rng);
    ptrs.push_back(buf.data());
  }
  std::vector<double> workspace(sig.workspaceBytes / 8 + 8);
  fn(ptrs.data(), 6, workspace.data());
  return buffers;
}

TEST(JitModules, SplitKernelComputesTheSame) {
  auto one = run(1);
  for (int modules : {2, 3, 5}) {
    SCOPED_TRACE(std::to_string(modules) + " modules");
    auto split = run(modules);
    ASSERT_EQ(one.size(), split.size());
    for (auto &[name, v] : one)
      EXPECT_EQ(v, split[name]) << name; // bit for bit
  }
}

} // namespace
