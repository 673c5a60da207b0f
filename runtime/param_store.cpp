#include "runtime/param_store.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace nnc::runtime {

void TensorBuffer::assignFrom(const std::vector<double> &values) {
  allocate();
  size_t n = std::min(values.size(), (size_t)numElements());
  if (type.dtype == ir::DType::F32) {
    float *f = f32();
    for (size_t i = 0; i < n; ++i)
      f[i] = static_cast<float>(values[i]); // rounds to nearest
  } else {
    std::copy_n(values.begin(), n, f64());
  }
}

void fillInitializer(const ir::Initializer &init, const ir::Shape &shape, uint64_t seed,
                     std::vector<double> &out) {
  using K = ir::Initializer;
  int64_t n = shape.numElements(1);
  double fanIn = shape.rank() >= 1 ? (double)shape.dims[0] : 1.0;
  double fanOut = shape.rank() >= 2 ? (double)shape.dims[1] : fanIn;
  if (shape.rank() == 4) { // a filter [F,C,KH,KW]: each output sees C*KH*KW inputs
    double field = (double)shape.dims[2] * (double)shape.dims[3];
    fanIn = (double)shape.dims[1] * field;
    fanOut = (double)shape.dims[0] * field;
  }
  std::mt19937_64 rng(seed);
  out.assign(n, 0.0);
  auto uniform = [&](double lo, double hi) {
    std::uniform_real_distribution<double> d(lo, hi);
    for (auto &v : out)
      v = d(rng);
  };
  auto normal = [&](double mean, double std) {
    std::normal_distribution<double> d(mean, std);
    for (auto &v : out)
      v = d(rng);
  };
  switch (init.kind) {
  case K::Zeros: break;
  case K::Ones: out.assign(n, 1.0); break;
  case K::Constant: out.assign(n, init.a); break;
  case K::Uniform: uniform(init.a, init.b); break;
  case K::Normal: normal(init.a, init.b); break;
  case K::GlorotUniform: {
    double limit = std::sqrt(6.0 / (fanIn + fanOut));
    uniform(-limit, limit);
    break;
  }
  case K::GlorotNormal: normal(0.0, std::sqrt(2.0 / (fanIn + fanOut))); break;
  case K::HeUniform: {
    double limit = std::sqrt(6.0 / fanIn);
    uniform(-limit, limit);
    break;
  }
  case K::HeNormal: normal(0.0, std::sqrt(2.0 / fanIn)); break;
  }
}

namespace {
/// SplitMix64's finalizer (Steele, Lea & Flood 2014): nearby inputs give
/// unrelated outputs, so streams of (seed, k) and (seed + 1, k - 1) differ.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
} // namespace

void ParamStore::initialize(const ir::Graph &g, uint64_t seed) {
  uint64_t k = 0;
  for (auto &n : g.nodes()) {
    if (n->kind != ir::OpKind::Param && n->kind != ir::OpKind::State)
      continue;
    uint64_t paramSeed = mix(mix(seed) + k++);
    if (buffers_.count(n->name))
      continue;
    std::vector<double> values;
    fillInitializer(n->init, n->shape(), paramSeed, values);
    TensorBuffer buf{n->type, n->kind == ir::OpKind::State, {}};
    buf.assignFrom(values);
    buffers_.emplace(n->name, std::move(buf));
  }
}

} // namespace nnc::runtime
