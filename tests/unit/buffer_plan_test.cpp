// Memory planning (codegen/buffer_plan.h): values share workspace bytes only
// when no kernel touches both; outputs and assigns keep theirs to the end.
#include "codegen/buffer_plan.h"
#include "ir/parser.h"

#include <gtest/gtest.h>

using namespace nnc;

namespace {

std::unique_ptr<ir::Graph> parse(const std::string &text) {
  std::string error;
  auto g = ir::parseGraph(text, "plan.ir", error);
  EXPECT_TRUE(g) << error;
  return g;
}

const ir::Node *node(const ir::Graph &g, size_t position) { return g.nodes()[position].get(); }

codegen::BufferPlan plan(const ir::Graph &g) {
  return codegen::planWorkspace(
      g, 1, [](const ir::Node &n) { return ir::opArity(n.kind) != 0; },
      [](const ir::Node *n) { return n; });
}

} // namespace

// a -> b -> c -> d: a is dead once b is computed, so c takes a's bytes and d
// takes b's. Two 64-byte slots instead of four.
TEST(BufferPlan, ReusesTheBytesOfDeadValues) {
  auto g = parse(R"(graph @chain {
  %x = input "x" : f32[4]
  %a = exp %x : f32[4]
  %b = neg %a : f32[4]
  %c = exp %b : f32[4]
  %d = neg %c : f32[4]
  output "d" %d
})");
  codegen::BufferPlan p = plan(*g);
  const ir::Node *a = node(*g, 1), *b = node(*g, 2), *c = node(*g, 3), *d = node(*g, 4);
  EXPECT_EQ(p.unplannedBytes, 4 * 64);
  EXPECT_EQ(p.bytes, 2 * 64);
  EXPECT_EQ(p.offset.at(a), p.offset.at(c));
  EXPECT_EQ(p.offset.at(b), p.offset.at(d));
  EXPECT_NE(p.offset.at(a), p.offset.at(b));
}

// The same chain with a also an output: outputs are copied after all
// kernels, so a stays live and nothing may reuse its bytes; a value and the
// one computed from it (same kernel) never share either.
TEST(BufferPlan, OutputsAndOperandsStayLive) {
  auto g = parse(R"(graph @chain {
  %x = input "x" : f32[4]
  %a = exp %x : f32[4]
  %b = neg %a : f32[4]
  %c = exp %b : f32[4]
  %d = neg %c : f32[4]
  output "d" %d
  output "a" %a
})");
  codegen::BufferPlan p = plan(*g);
  const ir::Node *a = node(*g, 1), *b = node(*g, 2), *c = node(*g, 3), *d = node(*g, 4);
  for (const ir::Node *other : {b, c, d})
    EXPECT_NE(p.offset.at(a), p.offset.at(other));
  EXPECT_NE(p.offset.at(b), p.offset.at(c));
  EXPECT_NE(p.offset.at(c), p.offset.at(d));
  EXPECT_EQ(p.offset.at(b), p.offset.at(d));
  EXPECT_EQ(p.bytes, 3 * 64);
}

// A reader through another node (a transpose a matmul reads through) keeps
// the underlying value live until that reader runs.
TEST(BufferPlan, ReadsThroughKeepTheSourceLive) {
  auto g = parse(R"(graph @through {
  %x = input "x" : f32[4,4]
  %a = exp %x : f32[4,4]
  %t = transpose %a : f32[4,4]
  %b = neg %x : f32[4,4]
  %c = exp %b : f32[4,4]
  %m = matmul %t, %c : f32[4,4]
  output "m" %m
})");
  const ir::Node *a = node(*g, 1), *t = node(*g, 2), *b = node(*g, 3), *c = node(*g, 4);
  codegen::BufferPlan p = codegen::planWorkspace(
      *g, 1, [&](const ir::Node &n) { return ir::opArity(n.kind) != 0 && &n != t; },
      [&](const ir::Node *n) { return n == t ? a : n; });
  EXPECT_FALSE(p.offset.count(t));
  EXPECT_NE(p.offset.at(a), p.offset.at(b));
  EXPECT_NE(p.offset.at(a), p.offset.at(c)); // without the forwarding, c would take a's bytes
}
