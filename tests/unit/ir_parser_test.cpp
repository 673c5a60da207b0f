// The IR text form: print(parse(t)) == t for every op and attribute, parsed
// graphs equal to the printed ones field by field, parse errors with
// line:col, one broken graph per verifier invariant, the pass registry, and
// a fixed-seed fuzz of the parser (random mutations of valid text).
#include "ir/builder.h"
#include "ir/parser.h"
#include "ir/pass_registry.h"
#include "ir/printer.h"
#include "ir/training_graph.h"
#include "ir/verifier.h"

#include <bit>
#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <random>
#include <set>

using namespace nnc;
using ir::DType;
using ir::Graph;
using ir::Node;
using ir::OpKind;
using ir::Shape;

namespace {

// Every op of ops.def, every attribute, in canonical form.
const char *kAllOps = R"(graph @all_ops {
  %x = input "x" : f32[B,4]
  %y = input "y" classes=4 : i32[B]
  %W = param "W" uniform(-0.5, 0.25) : f32[4,4]
  %dropout.step = state "dropout.step" constant(3) : f32[]
  %4 = constant 0.1 : f32[]
  %5 = batch_size : f32[]
  %6 = neg %x : f32[B,4]
  %7 = exp %6 : f32[B,4]
  %8 = log %7 : f32[B,4]
  %9 = sqrt %7 : f32[B,4]
  %10 = relu %8 : f32[B,4]
  %11 = sigmoid %9 : f32[B,4]
  %12 = tanh %10 : f32[B,4]
  %13 = abs %11 : f32[B,4]
  %14 = erf %12 : f32[B,4]
  %15 = add %13, %14 : f32[B,4]
  %16 = sub %15, %4 : f32[B,4]
  %17 = mul %16, %16 : f32[B,4]
  %18 = div %17, %5 : f32[B,4]
  %19 = pow %18, %4 : f32[B,4]
  %20 = greater %19, %4 : f32[B,4]
  %21 = maximum %19, %20 : f32[B,4]
  %22 = minimum %21, %4 : f32[B,4]
  %23 = select %20, %21, %22 : f32[B,4]
  %24 = matmul %23, %W : f32[B,4]
  %25 = transpose %W : f32[4,4]
  %26 = reshape %24 : f32[B,2,2]
  %27 = broadcast %4 : f32[B,4]
  %28 = reduce_sum %26 axes=[1,2] keepdims : f32[B,1,1]
  %29 = reduce_max %26 axes=[2] : f32[B,2]
  %30 = concat %29, %29, %29 axis=1 : f32[B,6]
  %31 = slice %30 axis=1 start=2 : f32[B,4]
  %32 = dropout_mask %dropout.step rate=0.25 seed=18446744073709551615 : f32[B,4]
  %33 = softmax %31 : f32[B,4]
  %34 = softmax_cross_entropy %33, %y : f32[B]
  %35 = softmax_cross_entropy_grad %33, %y, %34 : f32[B,4]
  %36 = constant -2.5e-07 : f64[3,2]
  %37 = reduce_sum %36 axes=[] : f64[3,2]
  %38 = softplus %6 : f32[B,4]
  %img = input "img" : f32[B,3,9,8]
  %F = param "F" he_uniform() : f32[5,3,3,2]
  %41 = conv2d %img, %F stride=[2,1] pad=[1,0,1,1] : f32[B,5,5,8]
  %42 = conv2d_grad_input %41, %F stride=[2,1] pad=[1,0,1,1] : f32[B,3,9,8]
  %43 = conv2d_grad_filter %img, %41 stride=[2,1] pad=[1,0,1,1] : f32[5,3,3,2]
  %44 = max_pool2d %41 window=[2,2] stride=[2,2] pad=[0,0,1,0] : f32[B,5,3,4]
  %45 = max_pool2d_grad %41, %44 window=[2,2] stride=[2,2] pad=[0,0,1,0] : f32[B,5,5,8]
  %46 = avg_pool2d %42 window=[3,3] stride=[1,1] pad=[1,1,1,1] : f32[B,3,9,8]
  %47 = avg_pool2d_grad %46 window=[3,3] stride=[1,1] pad=[1,1,1,1] : f32[B,3,9,8]
  assign %W, %25
  output "loss" %4
  output "probs" %35
  output "bcast" %27
  output "mask" %32
  output "sum" %28
  output "f64" %37
  output "images" %45
  output "images2" %47
  output "filter" %43
}
)";

std::unique_ptr<Graph> parseOk(const std::string &text) {
  std::string error;
  auto g = ir::parseGraph(text, "test.ir", error);
  EXPECT_TRUE(g) << error << "\n" << text;
  EXPECT_EQ(error, "");
  return g;
}

std::string parseError(const std::string &text) {
  std::string error;
  auto g = ir::parseGraph(text, "t.ir", error);
  EXPECT_FALSE(g) << text;
  return error;
}

bool sameDouble(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

/// Field-by-field equality of two graphs (operands by position).
void expectSameGraph(const Graph &a, const Graph &b) {
  ASSERT_EQ(a.name(), b.name());
  ASSERT_EQ(a.nodes().size(), b.nodes().size());
  std::map<const Node *, size_t> posA, posB;
  for (size_t i = 0; i < a.nodes().size(); ++i) {
    const Node &x = *a.nodes()[i], &y = *b.nodes()[i];
    posA[&x] = posB[&y] = i;
    SCOPED_TRACE(::testing::Message() << "node " << i << " (" << ir::opName(x.kind) << ")");
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.name, y.name);
    EXPECT_TRUE(sameDouble(x.scalar, y.scalar)) << x.scalar << " vs " << y.scalar;
    EXPECT_EQ(x.classes, y.classes);
    EXPECT_EQ(x.axes, y.axes);
    EXPECT_EQ(x.keepdims, y.keepdims);
    EXPECT_EQ(x.start, y.start);
    EXPECT_EQ(x.seed, y.seed);
    EXPECT_EQ(x.init.kind, y.init.kind);
    EXPECT_TRUE(sameDouble(x.init.a, y.init.a) && sameDouble(x.init.b, y.init.b));
    ASSERT_EQ(x.operands.size(), y.operands.size());
    for (size_t j = 0; j < x.operands.size(); ++j)
      EXPECT_EQ(posA.at(x.operands[j]), posB.at(y.operands[j]));
  }
}

/// print -> parse -> compare fields, and print again -> same text.
void expectRoundTrip(const Graph &g) {
  std::string text = ir::printGraph(g);
  auto parsed = parseOk(text);
  ASSERT_TRUE(parsed);
  expectSameGraph(g, *parsed);
  EXPECT_EQ(ir::printGraph(*parsed), text);
}

// --- Round trips -------------------------------------------------------------

TEST(IrText, EveryOpRoundTrips) {
  auto g = parseOk(kAllOps);
  ASSERT_TRUE(g);
  EXPECT_EQ(ir::printGraph(*g), kAllOps);
  std::set<OpKind> seen;
  for (auto &n : g->nodes())
    seen.insert(n->kind);
#define NNC_OP(E, name, arity)                                                                     \
  EXPECT_TRUE(seen.count(OpKind::E)) << "no '" << name << "' in kAllOps";
#include "ir/ops.def"
}

TEST(IrText, ParsedNodesHaveTheirAttributes) {
  auto g = parseOk(kAllOps);
  ASSERT_TRUE(g);
  auto node = [&](size_t i) { return g->nodes()[i].get(); };
  EXPECT_EQ(node(1)->classes, 4);
  EXPECT_EQ(node(2)->init.kind, ir::Initializer::Uniform);
  EXPECT_EQ(node(2)->init.a, -0.5);
  EXPECT_EQ(node(2)->init.b, 0.25);
  EXPECT_EQ(node(3)->name, "dropout.step");
  EXPECT_EQ(node(3)->init.a, 3);
  EXPECT_EQ(node(4)->scalar, 0.1);
  EXPECT_EQ(node(28)->axes, (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(node(28)->keepdims);
  EXPECT_EQ(node(31)->start, 2);
  EXPECT_EQ(node(32)->seed, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(node(32)->scalar, 0.25);
  EXPECT_EQ(node(32)->loc.line, 34);
  EXPECT_EQ(node(32)->loc.col, 3);
  EXPECT_EQ(node(32)->loc.file, "test.ir");
}

TEST(IrText, TrainingGraphsRoundTrip) {
  Graph fwd("mlp");
  ir::Builder b(fwd);
  Node *x = b.input("x", {DType::F32, Shape({ir::kBatch, 3})});
  Node *y = b.input("y", {DType::I32, Shape({ir::kBatch})}, 2);
  Node *w = b.param("layer.W", {DType::F32, {3, 2}}, {ir::Initializer::Normal, 0, 0.02});
  Node *bias = b.param("layer.b", {DType::F32, {2}}, {ir::Initializer::Constant, 0.1, 0});
  Node *h = b.binary(OpKind::Maximum, b.add(b.matmul(x, w), bias), b.constant(0.0));
  Node *mask = b.dropoutMask(b.state(ir::kDropoutStep, {DType::F32, {}}, {}), h->shape(), 0.3, 7);
  Node *logits = b.mul(h, mask);
  b.output("loss", b.meanAll(b.softmaxCrossEntropy(logits, y)));
  b.output("prediction", b.softmax(logits));
  expectRoundTrip(fwd);
  for (const char *opt : {"sgd", "adam", "adamw", "rmsprop"}) {
    SCOPED_TRACE(opt);
    ir::OptimizerConfig cfg;
    cfg.kind = opt;
    cfg.momentum = 0.9;
    cfg.nesterov = true;
    cfg.lr = 1.0 / 3.0;
    expectRoundTrip(*ir::buildTrainingGraph(fwd, cfg));
  }
}

TEST(IrText, DoublesRoundTripExactly) {
  const double values[] = {0.1 + 0.2,
                           1e-300,
                           5e-324,
                           -0.0,
                           1.0 / 3.0,
                           1e22,
                           123456789.125,
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::quiet_NaN()};
  Graph g("doubles");
  ir::Builder b(g);
  int i = 0;
  for (double v : values)
    b.output("c" + std::to_string(i++), b.constant(v, DType::F64));
  std::string text = ir::printGraph(g);
  auto parsed = parseOk(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(ir::printGraph(*parsed), text);
  for (size_t k = 0; k < std::size(values); ++k) {
    double v = parsed->nodes()[2 * k]->scalar;
    if (std::isnan(values[k]))
      EXPECT_TRUE(std::isnan(v));
    else
      EXPECT_TRUE(sameDouble(v, values[k])) << values[k] << " read back as " << v;
  }
}

TEST(IrText, NamesAreQuotedAndLabelsDisambiguated) {
  Graph g("a model \"v2\"");
  ir::Builder b(g);
  ir::TensorType t{DType::F32, {2}};
  Node *in = b.input("x", t);
  Node *p = b.param("x", t, {}); // same name, other kind
  Node *s = b.state("quote\"back\\slash\nnewline \xc3\xa9", t, {});
  Node *n = b.state("7", t, {}); // not a bare name: %"7", not %7
  Node *sum = b.add(in, p);
  b.output("out \"1\"", b.add(sum, b.add(s, n)));
  std::string text = ir::printGraph(g);
  EXPECT_NE(text.find("graph @\"a model \\22v2\\22\" {"), std::string::npos) << text;
  EXPECT_NE(text.find("%x = input \"x\""), std::string::npos) << text;
  EXPECT_NE(text.find("%1 = param \"x\""), std::string::npos) << text;
  EXPECT_NE(text.find("%\"quote\\22back\\5Cslash\\0Anewline \\C3\\A9\" = state"), std::string::npos)
      << text;
  EXPECT_NE(text.find("%\"7\" = state \"7\""), std::string::npos) << text;
  EXPECT_NE(text.find("%4 = add %x, %1"), std::string::npos) << text;
  expectRoundTrip(g);
}

TEST(IrText, HandWrittenTextIsCanonicalized) {
  auto g = parseOk(R"(
    ; a comment before the graph
    graph @g { ; and after the brace
      %in = input "x" : f32[B,3]
      %"a b" = relu %in : f32[B,3]   ; labels are free
      %0 = reduce_sum %"a b" axes=[-1, 0] : f32[]
      output "loss" %0
    })");
  ASSERT_TRUE(g);
  EXPECT_EQ(ir::printGraph(*g), "graph @g {\n"
                                "  %x = input \"x\" : f32[B,3]\n"
                                "  %1 = relu %x : f32[B,3]\n"
                                "  %2 = reduce_sum %1 axes=[0,1] : f32[]\n"
                                "  output \"loss\" %2\n"
                                "}\n");
}

// --- Parse errors ---------------------------------------------------------------

struct ErrorCase {
  const char *body; // statements between "graph @g {\n" and "}"
  const char *error;
};

TEST(IrText, ParseErrorsHaveLineAndColumn) {
  const std::string head = "graph @g {\n  %x = input \"x\" : f32[B,3]\n";
  const ErrorCase cases[] = {
      {"  %1 = frob %x : f32[B,3]\n", "t.ir:3:8: error: unknown op 'frob'"},
      {"  %1 = rleu %x : f32[B,3]\n", "t.ir:3:8: error: unknown op 'rleu'; did you mean 'relu'?"},
      {"  %1 = relu %z : f32[B,3]\n", "t.ir:3:13: error: use of undefined value %z"},
      {"  %1 = relu %1 : f32[B,3]\n", "t.ir:3:13: error: use of undefined value %1"},
      {"  %1 = add %x : f32[B,3]\n", "t.ir:3:8: error: 'add' takes 2 operands, got 1"},
      {"  %1 = batch_size %x : f32[]\n", "t.ir:3:8: error: 'batch_size' takes 0 operands, got 1"},
      {"  %1 = concat axis=0 : f32[B,3]\n", "t.ir:3:8: error: 'concat' takes at least one operand"},
      {"  %1 = relu %x : f32[B,4]\n",
       "t.ir:3:18: error: type f32[B,4] disagrees with the type f32[B,3] inferred for 'relu'"},
      {"  %1 = relu %x : f64[B,3]\n",
       "t.ir:3:18: error: type f64[B,3] disagrees with the type f32[B,3] inferred for 'relu'"},
      {"  %1 = transpose %x : f32[3,B]\n  %2 = matmul %x, %x : f32[B,B]\n",
       "t.ir:4:8: error: cannot multiply f32[B,3] by f32[B,3]: inner dimensions 3 and B differ"},
      {"  %1 = reduce_sum %x axes=[2] : f32[B]\n",
       "t.ir:3:8: error: axis 2 is out of range for f32[B,3] (rank 2)"},
      {"  %1 = reduce_sum %x axes=[1,-1] : f32[B]\n",
       "t.ir:3:8: error: an axis is repeated in the reduction of f32[B,3]"},
      {"  %1 = reduce_sum %x : f32[B]\n",
       "t.ir:3:8: error: 'reduce_sum' needs the attribute 'axes'"},
      {"  %1 = reduce_sum %x axes=[1] axes=[1] : f32[B]\n",
       "t.ir:3:31: error: attribute 'axes' is given twice"},
      {"  %1 = reduce_sum %x axes=[1] keepdims=1 : f32[B,1]\n",
       "t.ir:3:39: error: expected ':' and the result type, got '='"},
      {"  %1 = relu %x seed=3 : f32[B,3]\n",
       "t.ir:3:16: error: unknown attribute 'seed' for 'relu'"},
      {"  %1 = slice %x axis=1 start=x : f32[B,1]\n",
       "t.ir:3:30: error: expected an integer for start, got 'x'"},
      {"  %1 = slice %x axis=1 start=99999999999999999999 : f32[B,1]\n",
       "t.ir:3:30: error: start 99999999999999999999 is out of range"},
      {"  %1 = slice %x axis=1 start=2 : f32[B,2]\n",
       "t.ir:3:8: error: cannot slice [2:4] along axis 1 of f32[B,3]"},
      {"  %1 = constant 1e999 : f32[]\n", "t.ir:3:17: error: the constant 1e999 is out of range"},
      {"  %1 = constant 1.5.2 : f32[]\n",
       "t.ir:3:17: error: expected a number for the constant, got '1.5.2'"},
      {"  %1 = constant 1 : f16[]\n",
       "t.ir:3:21: error: unknown element type 'f16'; expected f32, f64 or i32"},
      {"  %1 = constant 1 : f32[0]\n", "t.ir:3:25: error: dimension 0 must be positive (or B)"},
      {"  %1 = constant 1 : f32[65536,65536,65536,65536]\n",
       "t.ir:3:43: error: the tensor has too many elements"},
      {"  %1 = constant 1 : f32[3\n", "t.ir:4:1: error: expected ',' or ']', got '}'"},
      {"  %p = param \"p\" glorot() : f32[3]\n", "t.ir:3:18: error: unknown initializer 'glorot'"},
      {"  %p = param \"p\" uniform(1) : f32[3]\n",
       "t.ir:3:18: error: 'uniform' takes 2 arguments, got 1"},
      {"  %p = param p zeros() : f32[3]\n",
       "t.ir:3:14: error: expected the name of the param as a string, got 'p'"},
      {"  %y = input \"y\" classes=3 : f32[B]\n",
       "t.ir:3:8: error: an input with classes= holds class ids: its type must be i32, got f32[B]"},
      {"  %x = relu %x : f32[B,3]\n", "t.ir:3:3: error: redefinition of value %x"},
      {"  %1 = output \"o\" %x\n", "t.ir:3:3: error: 'output' has no result to name"},
      {"  relu %x : f32[B,3]\n", "t.ir:3:3: error: 'relu' has a result: write %name = relu ..."},
      {"  assign %x, %x\n",
       "t.ir:3:3: error: assign writes a param or state, not the result of 'input'"},
      {"  output \"o\" %x\n  output \"o\" %x\n", "t.ir:4:3: error: duplicate output \"o\""},
      {"  %x2 = input \"x\" : f32[3]\n", "t.ir:3:3: error: duplicate input name \"x\""},
      {"  output \"loss\" %x\n", "t.ir:3:3: error: the loss output must be a scalar, got f32[B,3]"},
      {"  %1 = relu %x : f32[B,3] $\n", "t.ir:3:27: error: unexpected '$'"},
      {"  output \"a\\q\" %x\n",
       "t.ir:3:10: error: bad escape in string: write \\XX with two hex digits, \\\\ or \\\""},
      {"  output \"abc\n", "t.ir:3:10: error: unterminated string"},
      {"  % = relu %x : f32[B,3]\n",
       "t.ir:3:3: error: expected a name or a quoted string after '%'"},
      {"", ""}, // filled below: a missing closing brace
  };
  for (const ErrorCase &c : cases) {
    if (!*c.error)
      continue;
    EXPECT_EQ(parseError(head + c.body + "}\n"), c.error) << c.body;
  }
  EXPECT_EQ(parseError(head), "t.ir:3:1: error: expected '}' to close the graph");
  EXPECT_EQ(parseError(""), "t.ir:1:1: error: expected 'graph', got end of input");
  EXPECT_EQ(parseError("graph g {}"), "t.ir:1:7: error: expected the graph name, got 'g'");
  EXPECT_EQ(parseError("graph @g {}\ngraph @h {}"),
            "t.ir:2:1: error: expected end of input after the graph, got 'graph'");
}

// --- Verifier -------------------------------------------------------------------

struct Small {
  Graph g{"v"};
  Node *x, *w, *s, *sum;
  Small() {
    ir::Builder b(g);
    x = b.input("x", {DType::F32, {3}});
    w = b.param("w", {DType::F32, {3}}, {});
    s = b.state("s", {DType::F32, {}}, {});
    sum = b.add(x, w);
    b.output("loss", b.reduceSum(sum, {0}, false));
  }
};

void expectBroken(const Graph &g, const std::string &what, const std::string &nodeText) {
  ir::VerifierFailure f = ir::findFirstBrokenInvariant(g);
  EXPECT_EQ(f.what, what);
  EXPECT_EQ(ir::verifyGraph(g), what + "\n  " + nodeText);
}

TEST(IrVerifier, AcceptsWellFormedGraphs) {
  Small s;
  EXPECT_EQ(ir::verifyGraph(s.g), "");
  auto all = parseOk(kAllOps);
  ASSERT_TRUE(all);
  EXPECT_EQ(ir::verifyGraph(*all), "");
}

TEST(IrVerifier, OperandsPrecedeUsers) {
  Small s;
  s.sum->operands[1] = s.g.nodes()[4].get(); // the reduce_sum, defined later
  expectBroken(s.g, "operand 1 (%4) is defined after its use", "%3 = add %x, %4 : f32[3]");
  s.sum->operands[1] = s.sum;
  expectBroken(s.g, "operand 1 is the node itself", "%3 = add %x, %3 : f32[3]");
  Graph other;
  Node *stranger = ir::Builder(other).input("z", {DType::F32, {3}});
  s.sum->operands[1] = stranger;
  expectBroken(s.g, "operand 1 is not a node of this graph", "%3 = add %x, %? : f32[3]");
  s.sum->operands[1] = nullptr;
  expectBroken(s.g, "operand 1 is null", "%3 = add %x, %? : f32[3]");
}

TEST(IrVerifier, OperandsHaveValues) {
  Small s;
  Node *out = s.g.nodes().back().get();
  ir::Builder(s.g).output("again", out);
  expectBroken(s.g, "operand 0 is the effect 'output', which has no value", "output \"again\" %?");
}

TEST(IrVerifier, ArityMatchesOpsDef) {
  Small s;
  s.sum->operands.pop_back();
  expectBroken(s.g, "'add' takes 2 operands, has 1", "%3 = add %x : f32[3]");
  Small c;
  Node *cat = ir::Builder(c.g).concat({c.x, c.w}, 0);
  cat->operands.clear();
  expectBroken(c.g, "'concat' needs at least one operand", "%5 = concat axis=0 : f32[6]");
}

TEST(IrVerifier, StoredTypeEqualsInferredType) {
  Small s;
  s.sum->type.shape = Shape({4});
  expectBroken(s.g, "type f32[4] disagrees with the type f32[3] inferred for 'add'",
               "%3 = add %x, %w : f32[4]");
  s.sum->type = ir::TensorType::voidType();
  expectBroken(s.g, "'add' must have a tensor type", "add %x, %w");
  Small r;
  Node *reduce = r.g.nodes()[4].get();
  reduce->axes = {-1};
  expectBroken(r.g, "axes=[-1] must be sorted, distinct and in [0, 1)",
               "%4 = reduce_sum %3 axes=[-1] : f32[]");
}

TEST(IrVerifier, LeafNamesAreUniquePerKind) {
  Small s;
  ir::Builder b(s.g);
  b.state("w", {DType::F32, {3}}, {}); // a state may share a param's name
  EXPECT_EQ(ir::verifyGraph(s.g), "");
  b.param("w", {DType::F32, {2}}, {});
  expectBroken(s.g, "duplicate param name \"w\"", "%6 = param \"w\" zeros() : f32[2]");
  Small e;
  ir::Builder(e.g).input("", {DType::F32, {3}});
  expectBroken(e.g, "'input' has an empty name", "%5 = input \"\" : f32[3]");
}

TEST(IrVerifier, AssignTargetsAreParamsOrStatesOfTheSameType) {
  Small s;
  Node *a = ir::Builder(s.g).assign(s.w, s.sum);
  EXPECT_EQ(ir::verifyGraph(s.g), "");
  a->operands[0] = s.x;
  expectBroken(s.g, "assign writes a param or state, not the result of 'input'", "assign %x, %3");
  a->operands[0] = s.s;
  expectBroken(s.g, "cannot assign f32[3] to state \"s\" of type f32[]", "assign %s, %3");
}

TEST(IrVerifier, OneOutputPerNameAndAScalarLoss) {
  Small s;
  ir::Builder(s.g).output("loss", s.sum);
  expectBroken(s.g, "duplicate output \"loss\"", "output \"loss\" %3");
  Small l;
  Node *out = l.g.nodes().back().get();
  out->operands[0] = l.sum;
  expectBroken(l.g, "the loss output must be a scalar, got f32[3]", "output \"loss\" %3");
}

// --- Pass registry --------------------------------------------------------------

TEST(IrPasses, RegistryListsThePassesOfPassesDef) {
  std::vector<std::string> names;
  for (const ir::PassInfo &p : ir::allPasses())
    names.emplace_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"autodiff", "train-step-sgd", "train-step-adam",
                                             "train-step-adamw", "train-step-rmsprop", "simplify",
                                             "sink-pool-mask", "constfold", "fold-batch-norm",
                                             "cse", "fuse", "dce", "verify"}));
  EXPECT_TRUE(ir::findPass("dce"));
  EXPECT_FALSE(ir::findPass("gvn"));
  auto g = parseOk(kAllOps);
  EXPECT_EQ(ir::runPass("gvn", g), "error: unknown pass 'gvn'");
}

TEST(IrPasses, AutodiffExposesEveryParamGradient) {
  Small s;
  std::unique_ptr<Graph> g = s.g.clone();
  ASSERT_EQ(ir::runPass("autodiff", g), "");
  Node *grad = g->findNamed(OpKind::Output, "grad.w");
  ASSERT_TRUE(grad);
  EXPECT_EQ(grad->operand(0)->type, s.w->type);
  EXPECT_EQ(ir::verifyGraph(*g), "");
  EXPECT_EQ(ir::runPass("dce", g), "");
  EXPECT_EQ(ir::runPass("verify", g), "");
}

TEST(IrPasses, TrainStepsReplaceTheGraph) {
  Small s;
  for (const char *pass :
       {"train-step-sgd", "train-step-adam", "train-step-adamw", "train-step-rmsprop"}) {
    std::unique_ptr<Graph> g = s.g.clone();
    ASSERT_EQ(ir::runPass(pass, g), "") << pass;
    EXPECT_EQ(g->name(), "v.train");
    EXPECT_FALSE(g->nodesOfKind(OpKind::Assign).empty());
    EXPECT_EQ(ir::verifyGraph(*g), "");
  }
}

TEST(IrPasses, FailuresAreReportedNotThrown) {
  auto g = parseOk("graph @g {\n  %x = input \"x\" : f32[3]\n}\n");
  EXPECT_EQ(ir::runPass("autodiff", g),
            "error: pass 'autodiff': autodiff needs an output \"loss\"");
  EXPECT_EQ(ir::runPass("train-step-adam", g),
            "error: pass 'train-step-adam': train-step-adam needs an output \"loss\"");
  Small s;
  std::unique_ptr<Graph> broken = s.g.clone();
  broken->nodes()[3]->type.shape = Shape({4});
  EXPECT_EQ(ir::runPass("verify", broken),
            "error: pass 'verify': type f32[4] disagrees with the type f32[3] inferred for 'add'\n"
            "  %3 = add %x, %w : f32[4]");
}

// --- Fuzz -----------------------------------------------------------------------

/// One random edit of `text`: a byte inserted, deleted or replaced, a line
/// deleted or duplicated, two lines swapped, or the text cut short.
std::string mutate(const std::string &text, std::mt19937 &rng) {
  static const std::string alphabet = "%@\"[](){}=,:;-+.0123456789eBxyfi \n\\\t\x01\xff";
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  std::string s = text;
  std::vector<size_t> starts{0};
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == '\n' && i + 1 < s.size())
      starts.push_back(i + 1);
  auto line = [&](size_t k) {
    size_t end = k + 1 < starts.size() ? starts[k + 1] : s.size();
    return std::pair{starts[k], end - starts[k]};
  };
  switch (pick(7)) {
  case 0:
    s.insert(s.begin() + pick(s.size() + 1), alphabet[pick(alphabet.size())]);
    break;
  case 1:
    if (!s.empty())
      s.erase(pick(s.size()), 1 + pick(3));
    break;
  case 2:
    if (!s.empty())
      s[pick(s.size())] = alphabet[pick(alphabet.size())];
    break;
  case 3: {
    auto [b, n] = line(pick(starts.size()));
    s.erase(b, n);
    break;
  }
  case 4: {
    auto [b, n] = line(pick(starts.size()));
    s.insert(b, s.substr(b, n));
    break;
  }
  case 5: {
    auto [b1, n1] = line(pick(starts.size()));
    auto [b2, n2] = line(pick(starts.size()));
    if (b1 > b2)
      std::swap(b1, b2), std::swap(n1, n2);
    if (b1 + n1 <= b2)
      s = s.substr(0, b1) + s.substr(b2, n2) + s.substr(b1 + n1, b2 - b1 - n1) + s.substr(b1, n1) +
          s.substr(b2 + n2);
    break;
  }
  default:
    s.resize(pick(s.size() + 1));
    break;
  }
  return s;
}

TEST(IrText, FuzzedTextNeverCrashesTheParser) {
  Small small;
  std::vector<std::string> seeds = {
      kAllOps, ir::printGraph(*ir::buildTrainingGraph(small.g, ir::OptimizerConfig{}))};
  std::mt19937 rng(20261129);
  int accepted = 0;
  for (int i = 0; i < 1000; ++i) {
    std::string text = seeds[i % seeds.size()];
    for (int edits = 1 + (int)(rng() % 3); edits > 0; --edits)
      text = mutate(text, rng);
    std::string error;
    std::unique_ptr<Graph> g = ir::parseGraph(text, "fuzz.ir", error);
    if (!g) {
      EXPECT_EQ(error.rfind("fuzz.ir:", 0), 0u) << error;
      continue;
    }
    ++accepted;
    // Whatever parses is well formed, prints canonically, and passes run on it
    // without internal errors.
    EXPECT_EQ(ir::verifyGraph(*g), "") << text;
    std::string printed = ir::printGraph(*g);
    auto again = ir::parseGraph(printed, "printed.ir", error);
    ASSERT_TRUE(again) << error << "\n" << printed;
    EXPECT_EQ(ir::printGraph(*again), printed);
    for (const ir::PassInfo &p : ir::allPasses()) {
      std::unique_ptr<Graph> copy = g->clone();
      std::string failure = ir::runPass(p.name, copy);
      EXPECT_EQ(failure.find("internal error"), std::string::npos) << failure << "\n" << text;
      if (failure.empty()) {    // may break an invariant (a second training step): nnc-opt
        ir::verifyGraph(*copy); // reports it; here it must just not crash
        ir::printGraph(*copy);
      }
    }
  }
  EXPECT_GT(accepted, 20) << "too few mutations are valid graphs to reach the passes";
}

} // namespace
