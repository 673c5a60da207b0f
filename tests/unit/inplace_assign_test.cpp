// Assigns done in place (codegen/lower_graph.cpp): the kernel computing an
// assign's value writes it straight into the target's buffer, only when
// every other reader of the target has read it by then. Each graph runs
// through the JIT (LLVM -O0 and -O3); the param's new value and the outputs
// must be what the graph means (reads see the old value, assigns happen
// after the step), whether or not the assign was done in place.
#include "codegen/jit_compiler.h"
#include "ir/parser.h"

#include <gtest/gtest.h>
#include <map>

using namespace nnc;

namespace {

using Tensors = std::map<std::string, std::vector<float>>;

struct StepResult {
  int64_t inPlace = 0;
  Tensors state;   // params and states after the step
  Tensors outputs; // outputs of the step
};

/// Compiles `text` at LLVM level `optLevel` and runs one step (no batch
/// dimension) on `state` (params, states and inputs by name).
StepResult step(const std::string &text, Tensors state, int optLevel) {
  std::string error;
  auto g = ir::parseGraph(text, "inplace.ir", error);
  EXPECT_TRUE(g) << error;
  if (!g)
    return {};
  codegen::JitCompiler jit;
  codegen::KernelSignature sig = jit.add(*g, "step", 1);
  jit.compile(optLevel);
  codegen::KernelFn fn = jit.lookup("step");
  StepResult r;
  r.inPlace = sig.assignsInPlace;
  std::vector<void *> ptrs;
  for (const codegen::Binding &bd : sig.bindings) {
    std::vector<float> &buf =
        bd.role == codegen::Binding::Output ? r.outputs[bd.name] : state.at(bd.name);
    buf.resize(bd.type.shape.numElements(1));
    ptrs.push_back(buf.data());
  }
  std::vector<double> workspace(sig.workspaceBytes / 8 + 8);
  fn(ptrs.data(), 1, workspace.data());
  r.state = state;
  return r;
}

const Tensors kStart = {{"p", {1, 2, 3, 4}}, {"x", {10, 20, 30, 40}}};

void expectStep(const std::string &text, int64_t inPlace, const std::vector<float> &newP,
                const Tensors &outputs) {
  for (int opt : {0, 3}) {
    SCOPED_TRACE("LLVM -O" + std::to_string(opt));
    StepResult r = step(text, kStart, opt);
    EXPECT_EQ(r.inPlace, inPlace);
    EXPECT_EQ(r.state["p"], newP);
    for (auto &[name, v] : outputs)
      EXPECT_EQ(r.outputs[name], v) << name;
  }
}

} // namespace

// A group member that reads p before the new value: it has read p at its
// own index when the value is stored, so p is updated in place.
TEST(InPlaceAssign, ReaderBeforeTheValueInItsGroup) {
  expectStep(R"(graph @before {
  %p = param "p" zeros() : f32[4]
  %x = input "x" : f32[4]
  %w = mul %p, %x group=1 : f32[4]
  %v = add %p, %w group=1 : f32[4]
  output "w" %w
  assign %p, %v
})",
             1, {11, 42, 93, 164}, {{"w", {10, 40, 90, 160}}});
}

// A member after the new value that reads p would see the new value: the
// assign keeps its copy.
TEST(InPlaceAssign, ReaderAfterTheValueInItsGroup) {
  expectStep(R"(graph @after {
  %p = param "p" zeros() : f32[4]
  %x = input "x" : f32[4]
  %v = add %p, %x group=1 : f32[4]
  %w = mul %p, %v group=1 : f32[4]
  output "w" %w
  assign %p, %v
})",
             0, {11, 22, 33, 44}, {{"w", {11, 44, 99, 176}}});
}

// A later kernel reading p: not in place. A later kernel reading only the
// new value reads it from p's buffer.
TEST(InPlaceAssign, ReaderInALaterKernel) {
  expectStep(R"(graph @later {
  %p = param "p" zeros() : f32[4]
  %x = input "x" : f32[4]
  %v = add %p, %x : f32[4]
  %w = mul %p, %x : f32[4]
  output "w" %w
  assign %p, %v
})",
             0, {11, 22, 33, 44}, {{"w", {10, 40, 90, 160}}});
  expectStep(R"(graph @value_read_later {
  %p = param "p" zeros() : f32[4]
  %x = input "x" : f32[4]
  %v = add %p, %x : f32[4]
  %w = mul %v, %x : f32[4]
  output "w" %w
  assign %p, %v
})",
             1, {11, 22, 33, 44}, {{"w", {110, 440, 990, 1760}}});
}

// Outputs are copied after all kernels: an output of p itself is the old
// value, so p keeps its copy; an output of the new value reads p's buffer.
TEST(InPlaceAssign, OutputsReadAfterTheStep) {
  expectStep(R"(graph @output_of_target {
  %p = param "p" zeros() : f32[4]
  %x = input "x" : f32[4]
  %v = add %p, %x : f32[4]
  output "old" %p
  assign %p, %v
})",
             0, {11, 22, 33, 44}, {{"old", {1, 2, 3, 4}}});
  expectStep(R"(graph @output_of_value {
  %p = param "p" zeros() : f32[4]
  %x = input "x" : f32[4]
  %v = add %p, %x : f32[4]
  output "new" %v
  assign %p, %v
})",
             1, {11, 22, 33, 44}, {{"new", {11, 22, 33, 44}}});
}

// A matmul head reads all of W while its epilogue writes rows of the new
// value: not in place (only elementwise members may read the target).
TEST(InPlaceAssign, MatmulHeadReadingTheTarget) {
  Tensors start = {{"p", {1, 2, 3, 4}}, {"x", {1, 1, 1, 1}}};
  for (int opt : {0, 3}) {
    StepResult r = step(R"(graph @head {
  %p = param "p" zeros() : f32[2,2]
  %x = input "x" : f32[2,2]
  %m = matmul %x, %p group=1 : f32[2,2]
  %v = add %m, %p group=1 : f32[2,2]
  assign %p, %v
})",
                 start, opt);
    EXPECT_EQ(r.inPlace, 0);
    // x @ p = [[4,6],[4,6]]; plus p.
    EXPECT_EQ(r.state["p"], (std::vector<float>{5, 8, 7, 10}));
  }
}

// A value that is not elementwise (a matmul) is never computed in place.
TEST(InPlaceAssign, OnlyElementwiseValues) {
  Tensors start = {{"p", {1, 2, 3, 4}}, {"x", {0, 1, 1, 0}}};
  for (int opt : {0, 3}) {
    StepResult r = step(R"(graph @matmul_value {
  %p = param "p" zeros() : f32[2,2]
  %x = input "x" : f32[2,2]
  %v = matmul %x, %p : f32[2,2]
  assign %p, %v
})",
                 start, opt);
    EXPECT_EQ(r.inPlace, 0);
    EXPECT_EQ(r.state["p"], (std::vector<float>{3, 4, 1, 2})); // rows swapped
  }
}

// Outputs are written by the kernel computing their value (the first output
// of a value; a second output of it, an output of an input and one of a
// value that is also assigned in place are copied after the step).
TEST(InPlaceOutput, ValuesOfEveryKind) {
  expectStep(R"(graph @outputs {
  %p = param "p" zeros() : f32[4]
  %x = input "x" : f32[4]
  %v = add %x, %x : f32[4]
  %w = mul %v, %x : f32[4]
  %n = add %p, %w : f32[4]
  output "a" %v
  output "b" %v
  output "c" %x
  output "d" %w
  output "e" %n
  assign %p, %n
})",
             1, {201, 802, 1803, 3204},
             {{"a", {20, 40, 60, 80}},
              {"b", {20, 40, 60, 80}},
              {"c", {10, 20, 30, 40}},
              {"d", {200, 800, 1800, 3200}},
              {"e", {201, 802, 1803, 3204}}});
}
