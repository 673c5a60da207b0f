// The rewriting passes (simplify, constfold, cse) never change a computed
// result. The oracle is the JIT, i.e. the runtime itself:
//   - every fold of an op on constants equals, bit for bit, what the
//     generated code computes on the same values, over special float32
//     values (signed zeros, subnormals, FLT_MAX, inf, NaN, values that need
//     rounding); a fold is skipped only for a NaN result;
//   - random graphs built to offer every rule (x*1, x+(-0), neg(neg x),
//     duplicates, constant-only expressions, reshape and broadcast chains,
//     keepdims reductions, ...) and fed special values compute the same
//     outputs, bit for bit (any NaN matching any NaN), before and after
//     each pass and the -O3 clean-up pipeline;
//   - the rules do fire on those graphs (the comparison is not vacuous).
#include "codegen/jit_compiler.h"
#include "ir/builder.h"
#include "ir/node_type.h"
#include "ir/pass_registry.h"
#include "ir/printer.h"
#include "ir/verifier.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fmt/format.h>
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
using ir::TensorType;

namespace {

constexpr int64_t kB = 3; // the batch size of every run
constexpr int64_t B = ir::kBatch;

const std::vector<float> &specialValues() {
  static const std::vector<float> v = {
      0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.0f, -3.0f, 0.1f, 1.0f / 3, 3e38f, -3e38f,
      std::numeric_limits<float>::max(), std::numeric_limits<float>::min(),
      std::numeric_limits<float>::denorm_min(), -1e-40f, 16777216.0f, 1e30f, 1e-30f,
      std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
      std::numeric_limits<float>::quiet_NaN()};
  return v;
}

bool sameValue(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) ||
         std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
}

using Tensors = std::map<std::string, std::vector<float>>;

/// Runs a compiled kernel: inputs and params by name, outputs by name.
Tensors execute(const codegen::KernelSignature &sig, codegen::KernelFn fn, Tensors inputs) {
  Tensors outputs;
  std::vector<void *> ptrs;
  for (const codegen::Binding &bd : sig.bindings) {
    size_t n = (size_t)bd.type.shape.numElements(kB);
    std::vector<float> &buf = bd.role == codegen::Binding::Output ? outputs[bd.name]
                                                                  : inputs.at(bd.name);
    buf.resize(n);
    ptrs.push_back(buf.data());
  }
  std::vector<double> workspace(sig.workspaceBytes / 8 + 8);
  fn(ptrs.data(), kB, workspace.data());
  return outputs;
}

/// Graphs compiled together (LLVM -O0: no folding by LLVM, the generated
/// code's own arithmetic), run on the same inputs.
class Kernels {
public:
  explicit Kernels(const std::vector<const Graph *> &graphs) {
    std::vector<std::string> symbols;
    for (size_t i = 0; i < graphs.size(); ++i) {
      symbols.push_back("g" + std::to_string(i));
      sigs_.push_back(jit_.add(*graphs[i], symbols.back(), kB));
    }
    jit_.compile(0);
    fns_ = jit_.lookupAll(symbols);
  }
  std::vector<Tensors> run(const Tensors &inputs) const {
    std::vector<Tensors> out;
    for (size_t i = 0; i < sigs_.size(); ++i)
      out.push_back(execute(sigs_[i], fns_[i], inputs));
    return out;
  }

private:
  codegen::JitCompiler jit_;
  std::vector<codegen::KernelSignature> sigs_;
  std::vector<codegen::KernelFn> fns_;
};

std::string bits(float v) { return fmt::format("{} (0x{:08x})", v, std::bit_cast<uint32_t>(v)); }

// --- Folds against the runtime ------------------------------------------------

/// op(a_i, b_i, c_i) over the given value triples: the runtime's results,
/// and each triple folded from constants. Returns how many folded; an op
/// meant to fold must fold every triple whose result is not NaN.
int checkFolds(OpKind k, const std::vector<std::array<float, 3>> &args, bool foldable = true) {
  int arity = ir::opArity(k);
  size_t n = args.size();
  // The runtime: the op on inputs holding the values.
  Graph ref("ref");
  {
    ir::Builder b(ref);
    std::vector<Node *> in;
    for (int j = 0; j < arity; ++j)
      in.push_back(b.input(std::string(1, char('a' + j)), {DType::F32, Shape({(int64_t)n})}));
    Node *r = arity == 1   ? b.unary(k, in[0])
              : arity == 2 ? b.binary(k, in[0], in[1])
                           : b.select(in[0], in[1], in[2]);
    b.output("r", r);
  }
  Tensors inputs;
  for (int j = 0; j < arity; ++j)
    for (auto &t : args)
      inputs[std::string(1, char('a' + j))].push_back(t[j]);
  std::vector<float> expected = Kernels({&ref}).run(inputs)[0].at("r");

  // The pass: one op on constants per triple.
  auto g = std::make_unique<Graph>("fold");
  ir::Builder b(*g);
  for (size_t i = 0; i < n; ++i) {
    std::vector<Node *> c;
    for (int j = 0; j < arity; ++j)
      c.push_back(b.constant(args[i][j]));
    Node *r = arity == 1   ? b.unary(k, c[0])
              : arity == 2 ? b.binary(k, c[0], c[1])
                           : b.select(c[0], c[1], c[2]);
    b.output("r" + std::to_string(i), r);
  }
  ir::PassContext ctx;
  EXPECT_EQ(ir::runPass("constfold", g, ctx), "");
  EXPECT_EQ(ir::verifyGraph(*g), "");
  int folded = 0;
  for (size_t i = 0; i < n; ++i) {
    const Node *v = g->findNamed(OpKind::Output, "r" + std::to_string(i))->operand(0);
    std::string what = fmt::format("{}({}, {}, {})", ir::opName(k), args[i][0], args[i][1],
                                   args[i][2]);
    if (v->kind != OpKind::Constant) {
      EXPECT_TRUE(!foldable || std::isnan(expected[i]))
          << what << " not folded; the runtime gives " << bits(expected[i]);
      continue;
    }
    ++folded;
    EXPECT_EQ(v->scalar, (double)(float)v->scalar) << what << ": not a float32 value";
    EXPECT_TRUE(sameValue((float)v->scalar, expected[i]))
        << what << " folded to " << bits((float)v->scalar) << ", the runtime gives "
        << bits(expected[i]);
  }
  return folded;
}

std::vector<std::array<float, 3>> pairs() {
  std::vector<std::array<float, 3>> out;
  for (float a : specialValues())
    for (float b : specialValues())
      out.push_back({a, b, 0});
  return out;
}

TEST(ConstantFolding, UnaryFoldsMatchTheRuntimeBitForBit) {
  std::vector<std::array<float, 3>> args;
  for (float a : specialValues())
    args.push_back({a, 0, 0});
  for (OpKind k : {OpKind::Neg, OpKind::Abs, OpKind::Relu, OpKind::Sqrt})
    EXPECT_GT(checkFolds(k, args), 10) << ir::opName(k);
}

TEST(ConstantFolding, BinaryFoldsMatchTheRuntimeBitForBit) {
  for (OpKind k : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Maximum,
                   OpKind::Minimum, OpKind::Greater})
    EXPECT_GT(checkFolds(k, pairs()), 300) << ir::opName(k);
}

TEST(ConstantFolding, SelectFoldsMatchTheRuntimeBitForBit) {
  std::vector<std::array<float, 3>> args;
  for (float m : specialValues())
    for (float a : {-0.0f, 2.0f})
      args.push_back({m, a, 0.0f});
  EXPECT_EQ(checkFolds(OpKind::Select, args), (int)args.size());
}

TEST(ConstantFolding, TranscendentalOpsAreNeverFolded) {
  std::vector<std::array<float, 3>> args;
  for (float a : {0.0f, 0.5f, 1.0f, 2.0f})
    args.push_back({a, 0.5f, 0});
  for (OpKind k : {OpKind::Exp, OpKind::Log, OpKind::Tanh, OpKind::Sigmoid, OpKind::Erf})
    EXPECT_EQ(checkFolds(k, args, false), 0) << ir::opName(k);
  EXPECT_EQ(checkFolds(OpKind::Pow, args, false), 0);
}

// --- Random graphs before and after ---------------------------------------------

/// Random f32 graphs over inputs x[B,4], v[4], s[], m[B,1] and a param w[4],
/// grown op by op from a pool of values, with the patterns the passes look
/// for planted among plain ops.
class RandomGraph {
public:
  explicit RandomGraph(uint32_t seed) : rng_(seed) {}

  std::unique_ptr<Graph> build(int steps) {
    g_ = std::make_unique<Graph>("random");
    ir::Builder b(*g_);
    pool_ = {b.input("x", f32({B, 4})), b.input("v", f32({4})), b.input("s", f32({})),
             b.input("m", f32({B, 1})), b.param("w", f32({4}), {})};
    for (int i = 0; i < steps; ++i)
      grow();
    // Every value is an output, so each one is compared (but for reductions
    // planted for reshape(reduce keepdims), which needs them single-use).
    for (size_t i = 0; i < pool_.size(); ++i)
      if (!hidden_.count(pool_[i]))
        b.output("o" + std::to_string(i), pool_[i]);
    return std::move(g_);
  }

private:
  static TensorType f32(std::vector<int64_t> dims) { return {DType::F32, Shape(std::move(dims))}; }
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool coin() { return pick(2) == 0; }
  Node *any() { return pool_[pick(pool_.size())]; }
  Node *recent() { return pool_[pool_.size() - 1 - pick(std::min<size_t>(6, pool_.size()))]; }

  /// Appends `k` (type from the shape rules; `shape` for the ops whose shape
  /// is an attribute), or nothing if the shape rules reject it.
  Node *make(OpKind k, std::vector<Node *> ops, std::vector<int64_t> shape = {},
             std::vector<int64_t> axes = {}, bool keepdims = false, int64_t start = 0) {
    Node *n = g_->append(k, f32(std::move(shape)), std::move(ops));
    n->axes = std::move(axes);
    n->keepdims = keepdims;
    n->start = start;
    ir::TypeOrError t = ir::inferNodeType(*n);
    if (!t.ok()) {
      g_->erase({n});
      return nullptr;
    }
    n->type = t.type;
    pool_.push_back(n);
    return n;
  }

  Node *constant(float v, std::vector<int64_t> shape = {}) {
    Node *c = g_->append(OpKind::Constant, f32(std::move(shape)), {});
    c->scalar = v;
    pool_.push_back(c);
    return c;
  }
  Node *specialConstant() {
    static const std::vector<std::vector<int64_t>> shapes = {{}, {}, {4}, {B, 4}, {1, 4}};
    const auto &v = specialValues();
    return constant(v[pick(v.size())], shapes[pick(shapes.size())]);
  }
  /// A value that broadcasts with `a` under `k`, or a new scalar constant.
  Node *partner(Node *a, OpKind k) {
    for (int tries = 0; tries < 20; ++tries) {
      Node *b = any();
      if (ir::binaryType(k, a->type, b->type).ok())
        return b;
    }
    return specialConstant();
  }

  void grow() {
    static const OpKind unary[] = {OpKind::Neg, OpKind::Abs, OpKind::Relu, OpKind::Sqrt,
                                   OpKind::Exp, OpKind::Tanh};
    static const OpKind binary[] = {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div,
                                    OpKind::Maximum, OpKind::Minimum, OpKind::Greater};
    Node *x = coin() ? recent() : any();
    const auto &dims = x->shape().dims;
    switch (pick(14)) {
    case 0:
      make(unary[pick(std::size(unary))], {x});
      break;
    case 1: {
      OpKind k = binary[pick(std::size(binary))];
      Node *y = partner(x, k);
      make(k, coin() ? std::vector<Node *>{x, y} : std::vector<Node *>{y, x});
      break;
    }
    case 2:
    case 12: { // identities and near-identities
      static const std::pair<OpKind, float> ids[] = {
          {OpKind::Mul, 1.0f}, {OpKind::Div, 1.0f}, {OpKind::Sub, 0.0f}, {OpKind::Add, -0.0f},
          {OpKind::Add, 0.0f}, {OpKind::Sub, -0.0f}, {OpKind::Mul, 0.0f}, {OpKind::Mul, -1.0f}};
      auto [k, v] = ids[pick(std::size(ids))];
      if (coin())
        x = pool_[pick(5)]; // an input or the param: zeros of both signs are common there
      static const std::vector<std::vector<int64_t>> shapes = {{}, {}, {}, {4}, {B, 4}, {B, 1}};
      Node *c = constant(v, shapes[pick(shapes.size())]);
      if (!make(k, {x, c}))
        make(k, {x, constant(v)});
      make(k, {c, x});
      break;
    }
    case 3: { // unary pairs
      static const std::pair<OpKind, OpKind> two[] = {{OpKind::Neg, OpKind::Neg},
                                                     {OpKind::Relu, OpKind::Relu},
                                                     {OpKind::Abs, OpKind::Neg},
                                                     {OpKind::Abs, OpKind::Abs}};
      auto [outer, inner] = two[pick(std::size(two))];
      make(outer, {make(inner, {x})});
      break;
    }
    case 4: { // a duplicate of an earlier op, commutative ones swapped
      Node *n = any();
      if (n->operands.empty())
        break;
      std::vector<Node *> ops = n->operands;
      if (ops.size() == 2 && coin())
        std::swap(ops[0], ops[1]);
      make(n->kind, ops, n->shape().dims, n->axes, n->keepdims, n->start);
      break;
    }
    case 5: { // constants only
      Node *a = specialConstant();
      OpKind k = binary[pick(std::size(binary))];
      Node *r = make(k, {a, specialConstant()});
      if (r && coin())
        make(unary[pick(4)], {r});
      break;
    }
    case 6: { // reshapes, chained, back and forth
      static const std::vector<std::vector<int64_t>> to[] = {
          {{B, 2, 2}, {B, 1, 4}, {B, 4}, {4, B}}, {{2, 2}, {1, 4}, {4, 1}, {4}}, {{1}, {1, 1}, {}}};
      int which = x->shape().numElements(1) == 4 && x->shape().hasBatch() ? 0
                  : x->shape().numElements(1) == 4                       ? 1
                  : x->shape().numElements(1) == 1 && !x->shape().hasBatch() ? 2
                                                                         : -1;
      if (which < 0)
        break;
      Node *r = make(OpKind::Reshape, {x}, to[which][pick(to[which].size())]);
      if (r && coin())
        make(OpKind::Reshape, {r}, to[which][pick(to[which].size())]);
      break;
    }
    case 7: { // broadcasts, of constants too, chained
      static const std::vector<std::vector<int64_t>> to = {{4},    {B, 4},    {2, 4},
                                                           {B, 1}, {2, B, 4}, {1, 4}};
      Node *src = coin() ? x : constant(specialValues()[pick(specialValues().size())]);
      Node *r = make(OpKind::Broadcast, {src}, to[pick(to.size())]);
      if (r && coin())
        make(OpKind::Broadcast, {r}, to[pick(to.size())]);
      break;
    }
    case 8: // transposes
      if (dims.size() == 2) {
        Node *t = make(OpKind::Transpose, {x});
        if (t && coin())
          make(OpKind::Transpose, {t});
      }
      break;
    case 9: { // reductions (of splats too), keepdims ones reshaped the way autodiff does
      if (coin())
        x = constant(coin() ? -0.0f : specialValues()[pick(specialValues().size())],
                     coin() ? std::vector<int64_t>{B, 4} : std::vector<int64_t>{2, 4});
      const auto &dims = x->shape().dims;
      if (dims.empty())
        break;
      std::vector<int64_t> axes;
      for (size_t d = 0; d < dims.size(); ++d)
        if (coin())
          axes.push_back((int64_t)d);
      if (axes.empty())
        axes.push_back((int64_t)pick(dims.size()));
      bool keep = coin();
      Node *r = make(coin() ? OpKind::ReduceSum : OpKind::ReduceMax, {x}, {}, axes, keep);
      if (r && keep && coin()) {
        std::vector<int64_t> kept;
        for (size_t d = 0; d < dims.size(); ++d)
          if (!std::count(axes.begin(), axes.end(), (int64_t)d))
            kept.push_back(dims[d]);
        if (make(OpKind::Reshape, {r}, kept))
          hidden_.insert(r);
      }
      break;
    }
    case 10: { // select, with a constant mask half the time
      Node *mask = coin() ? any() : constant(specialValues()[pick(specialValues().size())]);
      Node *a = partner(x, OpKind::Add);
      make(OpKind::Select, {mask, x, a});
      break;
    }
    case 11: // slices (whole or part) and concats (of one or two)
      if (!dims.empty() && dims.back() != B) {
        int64_t axis = (int64_t)dims.size() - 1, size = 1 + (int64_t)pick(dims.back());
        Node *s = make(OpKind::Slice, {x}, [&] {
          std::vector<int64_t> d = dims;
          d.back() = size;
          return d;
        }(), {axis}, false, (int64_t)pick(dims.back() - size + 1));
        std::vector<int64_t> both = dims;
        both.back() *= 2;
        if (s && coin())
          make(OpKind::Concat, {x}, dims, {axis});
        else
          make(OpKind::Concat, {x, x}, both, {axis});
      }
      break;
    default:
      pool_.push_back(specialConstant());
      break;
    }
  }

  std::mt19937 rng_;
  std::unique_ptr<Graph> g_;
  std::vector<Node *> pool_;
  std::set<const Node *> hidden_; // not outputs
};

/// Ordinary values (so that results are not all inf and NaN), zeros of
/// both signs often, and the special values.
Tensors randomInputs(std::mt19937 &rng) {
  const auto &v = specialValues();
  std::uniform_int_distribution<size_t> d(0, v.size() - 1);
  std::uniform_int_distribution<int> kind(0, 9);
  std::uniform_real_distribution<float> ordinary(-3, 3);
  Tensors t;
  for (auto [name, n] : {std::pair{"x", 4 * kB}, {"v", 4}, {"s", 1}, {"m", kB}, {"w", 4}})
    for (int64_t i = 0; i < n; ++i) {
      int k = kind(rng);
      t[name].push_back(k < 5 ? ordinary(rng) : k == 5 ? 0.0f : k == 6 ? -0.0f : v[d(rng)]);
    }
  return t;
}

TEST(RewritePasses, RandomGraphsComputeTheSameBeforeAndAfter) {
  const std::vector<std::vector<std::string>> pipelines = {
      {"simplify"}, {"constfold"}, {"cse"},
      {"simplify", "constfold", "cse", "simplify", "constfold", "cse", "dce"}};
  ir::PassContext ctx; // statistics over all graphs
  std::mt19937 inputRng(7);
  // NNC_REWRITE_TEST_SEEDS=1000 for a longer soak.
  const char *env = std::getenv("NNC_REWRITE_TEST_SEEDS");
  uint32_t seeds = env ? (uint32_t)std::stoul(env) : 8;
  for (uint32_t seed = 1; seed <= seeds; ++seed) {
    std::unique_ptr<Graph> g = RandomGraph(seed).build(60);
    ASSERT_EQ(ir::verifyGraph(*g), "") << ir::printGraph(*g);
    std::vector<std::unique_ptr<Graph>> rewritten;
    for (const auto &pipeline : pipelines) {
      rewritten.push_back(g->clone());
      for (const std::string &pass : pipeline) {
        ASSERT_EQ(ir::runPass(pass, rewritten.back(), ctx), "") << pass;
        ASSERT_EQ(ir::verifyGraph(*rewritten.back()), "")
            << pass << " on seed " << seed << "\n" << ir::printGraph(*rewritten.back());
      }
    }
    std::vector<const Graph *> all{g.get()};
    for (auto &r : rewritten)
      all.push_back(r.get());
    Kernels kernels(all);
    for (int run = 0; run < 4; ++run) {
      std::vector<Tensors> results = kernels.run(randomInputs(inputRng));
      for (size_t p = 0; p < pipelines.size(); ++p)
        for (auto &[name, want] : results[0]) {
          const std::vector<float> &got = results[p + 1].at(name);
          ASSERT_EQ(got.size(), want.size());
          for (size_t i = 0; i < want.size(); ++i)
            ASSERT_TRUE(sameValue(got[i], want[i]))
                << "output " << name << "[" << i << "] after "
                << fmt::format("{}", fmt::join(pipelines[p], ",")) << ": " << bits(got[i])
                << ", before: " << bits(want[i]) << "\nseed " << seed << "\nbefore:\n"
                << ir::printGraph(*g) << "after:\n" << ir::printGraph(*all[p + 1]);
        }
    }
  }
  // The graphs did offer the rules.
  EXPECT_GT(ctx.stats.get("constfold", "ops folded"), 50);
  EXPECT_GT(ctx.stats.get("cse", "ops replaced by an equal earlier one"), 20);
  for (const char *rule :
       {"x*1 -> x", "x-0 -> x", "x+(-0) -> x", "neg(neg x) -> x", "transpose(transpose x) -> x",
        "reshape(reshape x) -> reshape x", "broadcast of a constant -> constant",
        "select with a constant mask -> a or b", "reshape(reduce keepdims) -> reduce"})
    EXPECT_GT(ctx.stats.get("simplify", rule), 0) << rule << "\n" << ctx.stats.str();
}

/// -sink-pool-mask: mul(max_pool2d_grad(a, g), greater(a, c)) and its
/// rewrite compute the same values (the sign of a zero aside, as its header
/// says), on maps with ties, zeros, negatives, inf and NaN, for pools with
/// and without overlap and padding, either operand order, several c. Seen
/// failing (c=0.5 cases) with the pooled mask's threshold forced to 0.
TEST(RewritePasses, SinkPoolMaskKeepsEveryValue) {
  struct Pool {
    int64_t k, s, pad;
  };
  ir::PassContext ctx;
  std::mt19937 rng(11);
  const auto &special = specialValues();
  for (Pool p : {Pool{2, 2, 0}, Pool{3, 2, 0}, Pool{3, 1, 1}, Pool{2, 1, 0}})
    for (double c : {0.0, 0.5, -1.0})
      for (bool maskFirst : {false, true}) {
        ir::Window2D win;
        win.kh = win.kw = p.k, win.sh = win.sw = p.s;
        win.top = win.left = win.bottom = win.right = p.pad;
        Graph g("pool");
        ir::Builder b(g);
        const int64_t H = 7, W = 6, oh = (H + 2 * p.pad - p.k) / p.s + 1, ow = (W + 2 * p.pad - p.k) / p.s + 1;
        Node *a = b.input("a", {DType::F32, Shape{B, 2, H, W}});
        Node *gy = b.input("g", {DType::F32, Shape{B, 2, oh, ow}});
        Node *routed = b.maxPool2dGrad(a, gy, win);
        Node *mask = b.binary(OpKind::Greater, a, b.constant(c));
        b.output("d", maskFirst ? b.mul(mask, routed) : b.mul(routed, mask));
        std::unique_ptr<Graph> before = g.clone(), after = g.clone();
        ASSERT_EQ(ir::runPass("sink-pool-mask", after, ctx), "");
        ASSERT_EQ(ir::verifyGraph(*after), "") << ir::printGraph(*after);
        Kernels kernels({before.get(), after.get()});
        for (int run = 0; run < 4; ++run) {
          Tensors in;
          std::uniform_int_distribution<int> kind(0, 9), small(-2, 2);
          std::uniform_int_distribution<size_t> pick(0, special.size() - 1);
          for (int64_t i = 0; i < kB * 2 * H * W; ++i) { // few distinct values: ties, zeros
            int k = kind(rng);
            in["a"].push_back(k < 7 ? 0.5f * (float)small(rng) : special[pick(rng)]);
          }
          std::uniform_real_distribution<float> u(-2, 2);
          for (int64_t i = 0; i < kB * 2 * oh * ow; ++i)
            in["g"].push_back(u(rng));
          std::vector<Tensors> r = kernels.run(in);
          const std::vector<float> &want = r[0].at("d"), &got = r[1].at("d");
          for (size_t i = 0; i < want.size(); ++i)
            ASSERT_TRUE(got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i])))
                << "d[" << i << "]: " << bits(got[i]) << ", before: " << bits(want[i]) << " (window "
                << p.k << " stride " << p.s << " pad " << p.pad << ", c " << c << ")\n"
                << ir::printGraph(*after);
        }
      }
  EXPECT_EQ(ctx.stats.get("sink-pool-mask", "masks moved before a max-pool gradient"), 24);
}

} // namespace
