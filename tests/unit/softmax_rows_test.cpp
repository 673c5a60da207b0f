// softmax, softmax cross-entropy and its gradient with one row per vector
// lane (codegen/lower_softmax.cpp) give the same bits as the scalar loops
// (NNC_GEMM=lanes=1 turns the vector form off): static widths below, at and
// above a vector's lanes (gathered columns, outputs permuted into memory
// order), a width bound at run time (gathers and scatters), and batches that
// leave a partial block of rows. A lane that computed another row's value, or
// an output element left unwritten, shows as a difference.
#include "codegen/jit_compiler.h"
#include "ir/builder.h"

#include <cstdlib>
#include <cstring>
#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <random>

using namespace nnc;
using ir::DType;
using ir::Shape;

namespace {

constexpr int64_t B = ir::kBatch;
constexpr int64_t kMaxBatch = 70;

/// Every output's bits at `batch`, from the graph compiled with NNC_GEMM=`env`.
std::map<std::string, std::vector<uint32_t>> run(const char *env, const std::vector<int64_t> &widths,
                                                 int64_t batch) {
  if (*env)
    setenv("NNC_GEMM", env, 1);
  else
    unsetenv("NNC_GEMM");
  ir::Graph g("rows");
  ir::Builder b(g);
  ir::Node *y = b.input("y", {DType::I32, Shape{B}});
  ir::Node *dloss = b.input("dloss", {DType::F32, Shape{B}});
  for (int64_t w : widths) {
    std::string id = std::to_string(w);
    ir::Node *x = b.input("x" + id, {DType::F32, Shape{B, w}});
    b.output("softmax" + id, b.softmax(x));
    b.output("loss" + id, b.softmaxCrossEntropy(x, y));
    b.output("grad" + id, b.softmaxCrossEntropyGrad(x, y, dloss));
  }
  ir::Node *xt = b.input("xt", {DType::F32, Shape{5, B}}); // rows as wide as the batch
  b.output("softmax_t", b.softmax(xt));

  codegen::JitCompiler jit(1);
  codegen::KernelSignature sig = jit.add(g, "rows", kMaxBatch);
  jit.compile(1);
  codegen::KernelFn fn = jit.lookup("rows");
  unsetenv("NNC_GEMM");

  std::mt19937 rng(7 + (unsigned)batch);
  std::uniform_real_distribution<float> u(-20.f, 20.f);
  std::map<std::string, std::vector<float>> f32;
  std::vector<int32_t> labels(std::max<int64_t>(batch, 1));
  std::vector<void *> pointers;
  for (const codegen::Binding &bd : sig.bindings) {
    if (bd.name == "y") {
      pointers.push_back(labels.data());
      continue;
    }
    std::vector<float> &buf = f32[bd.name];
    buf.resize(std::max<int64_t>(1, bd.type.shape.numElements(batch)));
    for (float &v : buf)
      v = bd.role == codegen::Binding::Output ? std::numeric_limits<float>::quiet_NaN() : u(rng);
    pointers.push_back(buf.data());
  }
  int64_t narrowest = widths.front();
  for (int64_t i = 0; i < batch; ++i) // a class every x has
    labels[i] = (int32_t)(rng() % narrowest);
  std::vector<double> workspace(sig.workspaceBytes / 8 + 16, std::numeric_limits<double>::quiet_NaN());
  fn(pointers.data(), batch, workspace.data());

  std::map<std::string, std::vector<uint32_t>> bits;
  for (const codegen::Binding &bd : sig.bindings)
    if (bd.role == codegen::Binding::Output) {
      const std::vector<float> &v = f32.at(bd.name);
      std::vector<uint32_t> &out = bits[bd.name];
      out.resize(bd.type.shape.numElements(batch));
      if (!out.empty()) // an empty vector's data() may be null (UBSan: memcpy from null)
        std::memcpy(out.data(), v.data(), out.size() * 4);
    }
  return bits;
}

TEST(SoftmaxRows, VectorFormMatchesScalarLoops) {
  std::vector<int64_t> widths = {1, 3, 10, 16, 17, 33};
  for (int64_t batch : {kMaxBatch, (int64_t)64, (int64_t)37, (int64_t)17, (int64_t)16,
                        (int64_t)15, (int64_t)1, (int64_t)0}) {
    auto vec = run("", widths, batch);
    auto scalar = run("lanes=1", widths, batch);
    for (auto &[name, want] : scalar) {
      SCOPED_TRACE(name + " at batch " + std::to_string(batch));
      const std::vector<uint32_t> &got = vec.at(name);
      ASSERT_EQ(got.size(), want.size());
      int bad = 0;
      for (size_t i = 0; i < want.size(); ++i) {
        float g, w;
        std::memcpy(&g, &got[i], 4);
        std::memcpy(&w, &want[i], 4);
        if (got[i] != want[i] && ++bad <= 3)
          ADD_FAILURE() << "element " << i << ": " << g << ", scalar loops " << w;
        if (std::isnan(w) && ++bad <= 3)
          ADD_FAILURE() << "element " << i << " is NaN (not written?)";
      }
      EXPECT_EQ(bad, 0);
    }
  }
}

} // namespace
