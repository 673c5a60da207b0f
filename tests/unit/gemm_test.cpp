// The generated GEMM (codegen/gemm.h) against a double-precision product:
// one-matmul graphs JIT-compiled for many shapes (1, primes, tile sizes +-1,
// K across several K blocks), transposed operands (read through the
// transpose), the batch dimension as M, K or N bound at run time below
// maxBatch, and every vector width and tiling the code generator has (forced
// with NNC_GEMM). A fused matmul + epilogue group (a bias row, a scale per
// row, a scalar, relu; a member stored as well; a row sum as its tail) gives
// the same bits as the unfused graph, whether the epilogue runs on tiles or
// on rows and whether the rows are split across threads.
#include "codegen/jit_compiler.h"
#include "ir/builder.h"
#include "ir/pass_manager.h"

#include <cmath>
#include <cstdlib>
#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <random>

using namespace nnc;
using ir::DType;
using ir::Node;
using ir::Shape;

namespace {

constexpr int64_t B = ir::kBatch;

/// One matmul of a test graph: logical A [M,K] times B [K,N]; a dimension
/// given as B is the batch. transA: A is transpose(input [K,M]); transB: B is
/// transpose(input [N,K]). vecA: A is a vector [K] (M = 1).
struct Case {
  int64_t M, K, N;
  bool transA = false, transB = false, vecA = false;
};

std::string str(const Case &c) {
  auto d = [](int64_t v) { return v == B ? std::string("B") : std::to_string(v); };
  return (c.vecA ? std::string("vec") : "") + "[" + d(c.M) + "," + d(c.K) + "]" +
         (c.transA ? "^T" : "") + " @ [" + d(c.K) + "," + d(c.N) + "]" + (c.transB ? "^T" : "");
}

/// The threads the kernels are compiled for (GemmEnv's "threads=N").
int gThreads = 1;

/// Sets NNC_GEMM for the lifetime of the object; a leading "threads=N,"
/// is not NNC_GEMM's: it sets gThreads.
struct GemmEnv {
  explicit GemmEnv(std::string v) {
    gThreads = 1;
    if (v.rfind("threads=", 0) == 0) {
      size_t comma = v.find(',');
      gThreads = std::stoi(v.substr(8, comma - 8));
      v = comma == std::string::npos ? "" : v.substr(comma + 1);
    }
    if (v.empty())
      unsetenv("NNC_GEMM");
    else
      setenv("NNC_GEMM", v.c_str(), 1);
  }
  ~GemmEnv() {
    unsetenv("NNC_GEMM");
    gThreads = 1;
  }
};

/// Builds all cases into one graph (inputs a<i>, b<i>, output c<i>), compiles
/// it, runs it at each batch size and checks every element.
class GemmCheck {
public:
  GemmCheck(std::vector<Case> cases, int64_t maxBatch) : cases_(std::move(cases)), maxBatch_(maxBatch) {}

  void run(const std::vector<int64_t> &batches) {
    ir::Graph g("gemm");
    ir::Builder b(g);
    for (size_t i = 0; i < cases_.size(); ++i) {
      const Case &c = cases_[i];
      std::string id = std::to_string(i);
      Node *a = c.vecA   ? b.input("a" + id, {DType::F32, Shape{c.K}})
                : c.transA ? b.transpose(b.input("a" + id, {DType::F32, Shape{c.K, c.M}}))
                           : b.input("a" + id, {DType::F32, Shape{c.M, c.K}});
      Node *w = c.transB ? b.transpose(b.input("b" + id, {DType::F32, Shape{c.N, c.K}}))
                         : b.input("b" + id, {DType::F32, Shape{c.K, c.N}});
      b.output("c" + id, b.matmul(a, w));
    }
    codegen::JitCompiler jit(gThreads);
    codegen::KernelSignature sig = jit.add(g, "gemm", maxBatch_);
    jit.compile(2);
    codegen::KernelFn fn = jit.lookup("gemm");
    for (int64_t batch : batches)
      check(sig, fn, batch);
  }

private:
  void check(const codegen::KernelSignature &sig, codegen::KernelFn fn, int64_t batch) {
    std::mt19937 rng(42 + (unsigned)batch);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    auto bind = [&](int64_t d) { return d == B ? batch : d; };
    std::map<std::string, std::vector<float>> buffers;
    std::vector<void *> pointers(sig.bindings.size());
    for (size_t i = 0; i < sig.bindings.size(); ++i) {
      const codegen::Binding &bd = sig.bindings[i];
      std::vector<float> &buf = buffers[bd.name];
      buf.resize(std::max<int64_t>(1, bd.type.shape.numElements(batch)));
      for (float &v : buf) // inputs random; outputs NaN, so unwritten elements show
        v = bd.role == codegen::Binding::Output ? std::numeric_limits<float>::quiet_NaN() : u(rng);
      pointers[i] = buf.data();
    }
    // Garbage in the workspace (NaN) must not reach a result; an offset of
    // 8 bytes checks that nothing relies on more alignment than that.
    std::vector<double> workspace(sig.workspaceBytes / 8 + 16, std::numeric_limits<double>::quiet_NaN());
    fn(pointers.data(), batch, workspace.data() + 1);

    for (size_t i = 0; i < cases_.size(); ++i) {
      const Case &c = cases_[i];
      SCOPED_TRACE(str(c) + " with B = " + std::to_string(batch));
      std::string id = std::to_string(i);
      const std::vector<float> &A = buffers.at("a" + id), &W = buffers.at("b" + id),
                               &C = buffers.at("c" + id);
      int64_t M = c.vecA ? 1 : bind(c.M), K = bind(c.K), N = bind(c.N);
      int bad = 0;
      for (int64_t i0 = 0; i0 < M; ++i0)
        for (int64_t j = 0; j < N; ++j) {
          double ref = 0, scale = 0;
          for (int64_t k = 0; k < K; ++k) {
            double x = c.transA ? A[k * M + i0] : A[i0 * K + k];
            double y = c.transB ? W[j * K + k] : W[k * N + j];
            ref += x * y;
            scale += std::fabs(x * y);
          }
          // A float dot product in any order: |error| <= K u sum|x y| (u = 2^-24).
          double bound = (double)std::max<int64_t>(K, 1) * std::ldexp(1.0, -24) * scale;
          double got = C[i0 * N + j];
          if (!(std::fabs(got - ref) <= bound) && ++bad <= 3)
            ADD_FAILURE() << "c[" << i0 << "," << j << "] = " << got << ", expected " << ref
                          << " (bound " << bound << ")";
        }
      EXPECT_EQ(bad, 0);
    }
  }

  std::vector<Case> cases_;
  int64_t maxBatch_;
};

/// Every shape in all four transposition variants.
std::vector<Case> allVariants(const std::vector<Case> &shapes) {
  std::vector<Case> out;
  for (const Case &s : shapes)
    for (int t = 0; t < 4; ++t) {
      Case c = s;
      c.transA = t & 1;
      c.transB = t & 2;
      out.push_back(c);
    }
  return out;
}

/// NNC_GEMM settings: the target's own config, each narrower vector width,
/// both paths forced, and tiny blocks (many K and M blocks, odd tiles); then
/// kernels for 2 and 3 threads with every blocked matmul split (par=1): row
/// ranges that start mid-block, B packed by K blocks in parallel, column
/// ranges (C wider than tall) each packing its own part of B.
const char *kConfigs[] = {
    "",
    "lanes=8",
    "lanes=4",
    "lanes=1",
    "direct=1000000000",
    "kc=5,mc=3,packb=1",
    "direct=0,packa=1,packb=1,kc=7,mc=10",
    "direct=0,packa=1,packb=0,mr=14,nv=2,ku=1",
    "lanes=8,mr=3,nv=1,kc=9,mc=7,dmr=2,ku=3",
    "lanes=4,mr=5,nv=3,kc=4,mc=11,dmr=3,direct=0,packa=1",
    "threads=2,par=1",
    "threads=3,par=1,direct=0,kc=5,mc=3,packb=1",
    "threads=2,par=1,lanes=8,mr=3,nv=1,kc=9,mc=7,direct=0",
};

class Gemm : public ::testing::TestWithParam<const char *> {};

TEST_P(Gemm, StaticShapes) {
  GemmEnv env(GetParam());
  std::vector<Case> shapes = {
      {1, 1, 1},     {1, 7, 5},      {3, 5, 7},       {13, 17, 19},  {15, 33, 31}, {6, 8, 17},
      {7, 9, 15},    {64, 300, 65},  {47, 513, 129},  {128, 64, 10},
      {20, 70, 520}, // wider than tall: threads split the columns (and pack their own B)
      {520, 33, 70}, {515, 20, 700}, // transposed A with rows >= 2 KiB apart: packed, a buffer per thread
  };
  std::vector<Case> cases = allVariants(shapes);
  cases.push_back({1, 33, 47, false, false, true});  // vector @ matrix
  cases.push_back({1, 300, 5, false, true, true});   // vector @ transposed matrix
  GemmCheck(cases, 1).run({1});
}

TEST_P(Gemm, BatchAsM) {
  GemmEnv env(GetParam());
  GemmCheck(allVariants({{B, 37, 41}, {B, 300, 33}, {B, 3, 10}}), 50).run({50, 37, 15, 14, 13, 1, 0});
}

TEST_P(Gemm, BatchAsK) {
  // The weight gradient X^T dY: the batch is the reduction dimension.
  GemmEnv env(GetParam());
  GemmCheck(allVariants({{29, B, 31}, {3, B, 10}, {300, B, 40}}), 300).run({300, 257, 40, 1, 0});
}

TEST_P(Gemm, BatchAsN) {
  GemmEnv env(GetParam());
  GemmCheck(allVariants({{19, 23, B}, {4, 40, B}}), 70).run({70, 33, 17, 16, 1});
}

INSTANTIATE_TEST_SUITE_P(Configs, Gemm, ::testing::ValuesIn(kConfigs),
                         [](const ::testing::TestParamInfo<const char *> &info) {
                           return "config" + std::to_string(info.index);
                         });

/// Runs graph `g` (inputs x, W, bias, scale; outputs y, a, ysum) at
/// `batch`; returns y, a and ysum one after the other.
std::vector<float> runDense(const ir::Graph &g, int64_t maxBatch, int64_t batch,
                            const std::map<std::string, std::vector<float>> &in, size_t outSize) {
  codegen::JitCompiler jit(gThreads);
  codegen::KernelSignature sig = jit.add(g, "dense", maxBatch);
  jit.compile(2);
  size_t columns = outSize / std::max<int64_t>(batch, 1);
  std::vector<float> y(2 * outSize + columns, std::numeric_limits<float>::quiet_NaN());
  std::vector<void *> pointers;
  for (const codegen::Binding &bd : sig.bindings)
    pointers.push_back(bd.role != codegen::Binding::Output ? (void *)in.at(bd.name).data()
                       : bd.name == "y"                    ? y.data()
                       : bd.name == "a"                    ? y.data() + outSize
                                                           : y.data() + 2 * outSize);
  std::vector<double> workspace(sig.workspaceBytes / 8 + 16, std::numeric_limits<double>::quiet_NaN());
  jit.lookup("dense")(pointers.data(), batch, workspace.data());
  return y;
}

/// a = x @ W + bias (an output too), y = relu(a * scale) - 0.25 and its
/// column sums ysum (a bias gradient's shape) with x: [B,K], bias a row [N],
/// scale a column [B,1]; fused into a matmul-headed group with a row-sum tail
/// (its epilogue on tiles in registers where the GEMM allows) or not.
std::unique_ptr<ir::Graph> denseGraph(int64_t K, int64_t N, bool fuse, bool transposedW) {
  auto g = std::make_unique<ir::Graph>("dense");
  ir::Builder b(*g);
  Node *x = b.input("x", {DType::F32, Shape{B, K}});
  Node *w = transposedW ? b.transpose(b.input("W", {DType::F32, Shape{N, K}}))
                        : b.input("W", {DType::F32, Shape{K, N}});
  Node *bias = b.input("bias", {DType::F32, Shape{N}});
  Node *scale = b.input("scale", {DType::F32, Shape{B, 1}});
  Node *a = b.add(b.matmul(x, w), bias);
  b.output("a", a);
  Node *y = b.sub(b.unary(ir::OpKind::Relu, b.mul(a, scale)), b.constant(0.25, DType::F32));
  b.output("y", y);
  b.output("ysum", b.reduceSum(y, {0}, false));
  if (fuse) {
    ir::PassManager pm;
    EXPECT_EQ(pm.run({"fuse"}, g), "");
    int grouped = 0, tails = 0;
    for (auto &n : g->nodes()) {
      grouped += n->kind == ir::OpKind::MatMul && n->group != 0;
      tails += n->kind == ir::OpKind::ReduceSum && n->group != 0;
    }
    EXPECT_EQ(grouped, 1) << "the fuse pass did not put the matmul at the head of a group";
    EXPECT_EQ(tails, 1) << "the fuse pass did not give the group its row sum";
  }
  return g;
}

TEST_P(Gemm, FusedEpilogueMatchesUnfused) {
  GemmEnv env(GetParam());
  struct Shape3 { int64_t maxBatch, batch, K, N; bool transW; };
  for (Shape3 s : {Shape3{50, 37, 300, 70, false}, Shape3{50, 50, 300, 70, true},
                   Shape3{8, 5, 3, 4, false}, Shape3{16, 16, 33, 17, true},
                   Shape3{130, 129, 64, 128, false}, Shape3{40, 40, 10, 10, false}}) {
    SCOPED_TRACE("B=" + std::to_string(s.batch) + " K=" + std::to_string(s.K) +
                 " N=" + std::to_string(s.N) + (s.transW ? " W^T" : ""));
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::map<std::string, std::vector<float>> in;
    in["x"].resize(s.batch * s.K);
    in["W"].resize(s.K * s.N);
    in["bias"].resize(s.N);
    in["scale"].resize(s.batch);
    for (auto &[name, v] : in)
      for (float &x : v)
        x = u(rng);
    size_t outSize = s.batch * s.N;
    std::vector<float> fused = runDense(*denseGraph(s.K, s.N, true, s.transW), s.maxBatch, s.batch, in, outSize);
    std::vector<float> plain = runDense(*denseGraph(s.K, s.N, false, s.transW), s.maxBatch, s.batch, in, outSize);
    int negatives = 0;
    for (size_t i = 0; i < outSize; ++i) {
      ASSERT_EQ(fused[i], plain[i]) << "y element " << i; // the same arithmetic, bit for bit
      ASSERT_EQ(fused[outSize + i], plain[outSize + i]) << "a element " << i;
      int64_t r = i / s.N, j = i % s.N;
      double ref = in["bias"][j];
      for (int64_t k = 0; k < s.K; ++k)
        ref += (double)in["x"][r * s.K + k] *
               (s.transW ? in["W"][j * s.K + k] : in["W"][k * s.N + j]);
      ASSERT_NEAR(fused[outSize + i], ref, 1e-5 * (1 + std::fabs(ref))) << "a element " << i;
      double y = ref * in["scale"][r];
      negatives += y < 0;
      ASSERT_NEAR(fused[i], std::max(y, 0.0) - 0.25, 1e-5 * (1 + std::fabs(y))) << "y element " << i;
    }
    EXPECT_GT(negatives, 0); // relu did something
    for (int64_t j = 0; j < s.N; ++j) // summed over the rows in row order, as reduce_sum does
      ASSERT_EQ(fused[2 * outSize + j], plain[2 * outSize + j]) << "ysum element " << j;
  }
}

TEST(GemmTranspose, StillComputedForOtherReaders) {
  // transpose(X) is read by the matmul and is an output itself: it must be
  // computed although the matmul reads X directly.
  ir::Graph g("t");
  ir::Builder b(g);
  Node *x = b.input("x", {DType::F32, Shape{5, 3}});
  Node *w = b.input("w", {DType::F32, Shape{5, 4}});
  Node *t = b.transpose(x);
  b.output("t", t);
  b.output("c", b.matmul(t, w));
  codegen::JitCompiler jit;
  codegen::KernelSignature sig = jit.add(g, "t", 1);
  jit.compile(2);
  std::vector<float> X(15), W(20), T(15, -1), C(12, -1);
  for (int i = 0; i < 15; ++i)
    X[i] = (float)(i + 1);
  for (int i = 0; i < 20; ++i)
    W[i] = (float)(i % 7) - 3;
  std::map<std::string, void *> by = {{"x", X.data()}, {"w", W.data()}, {"t", T.data()}, {"c", C.data()}};
  std::vector<void *> pointers;
  for (const codegen::Binding &bd : sig.bindings)
    pointers.push_back(by.at(bd.name));
  std::vector<double> workspace(sig.workspaceBytes / 8 + 16);
  jit.lookup("t")(pointers.data(), 1, workspace.data());
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 5; ++c)
      EXPECT_EQ(T[r * 5 + c], X[c * 3 + r]);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) {
      float ref = 0;
      for (int k = 0; k < 5; ++k)
        ref += X[k * 3 + i] * W[k * 4 + j];
      EXPECT_EQ(C[i * 4 + j], ref); // small integers: exact
    }
}

TEST(GemmTranspose, ComputedTransposeOfAnIntermediate) {
  // t = transpose(reshape(w)) is computed (a reduction reads it too), so the
  // matmul reads t itself: reshape(w)'s bytes may be reused once t is done.
  for (const char *config : {"", "direct=0", "direct=1000000000"}) {
    SCOPED_TRACE(config);
    GemmEnv env(config);
    ir::Graph g("t");
    ir::Builder b(g);
    const int64_t K = 24, N = 40;
    Node *x = b.input("x", {DType::F32, Shape{B, K}});
    Node *w = b.input("w", {DType::F32, Shape{N * K}});
    Node *t = b.transpose(b.reshape(w, Shape{N, K})); // [K,N]
    b.output("s", b.reduceSum(t, {0, 1}, false));
    b.output("c", b.matmul(x, t));
    codegen::JitCompiler jit;
    codegen::KernelSignature sig = jit.add(g, "t", 32);
    jit.compile(2);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::vector<float> X(32 * K), W(N * K), S(1), C(32 * N);
    for (float &v : X)
      v = u(rng);
    for (float &v : W)
      v = u(rng);
    std::map<std::string, void *> by = {{"x", X.data()}, {"w", W.data()}, {"s", S.data()}, {"c", C.data()}};
    std::vector<void *> pointers;
    for (const codegen::Binding &bd : sig.bindings)
      pointers.push_back(by.at(bd.name));
    std::vector<double> workspace(sig.workspaceBytes / 8 + 16, std::numeric_limits<double>::quiet_NaN());
    jit.lookup("t")(pointers.data(), 32, workspace.data());
    for (int64_t i = 0; i < 32; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double ref = 0, scale = 0;
        for (int64_t k = 0; k < K; ++k) {
          ref += (double)X[i * K + k] * W[j * K + k];
          scale += std::fabs((double)X[i * K + k] * W[j * K + k]);
        }
        ASSERT_NEAR(C[i * N + j], ref, K * std::ldexp(1.0, -24) * scale) << i << "," << j;
      }
  }
}

} // namespace
