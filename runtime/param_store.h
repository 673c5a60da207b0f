// Persistent buffers of a model: trainable parameters and optimizer state,
// by name, filled by their seeded initializers (Glorot & Bengio 2010;
// He et al. 2015: fan_in = dims[0], fan_out = dims[1] of a [in, out] weight).
#pragma once
#include "ir/graph.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nnc::runtime {

struct TensorBuffer {
  ir::TensorType type;
  bool optimizerState = false; // a State (moments, step counters), not a Param
  std::vector<double> storage; // sized for the type; viewed as float or double

  void *data() { return storage.data(); }
  int64_t numElements() const { return type.shape.numElements(1); }
  float *f32() { return reinterpret_cast<float *>(storage.data()); }
};

class ParamStore {
public:
  /// Allocates and initializes every Param and State of `g` not yet present.
  /// Param k (in graph order) draws from a generator seeded with a mix of
  /// (seed, k), so different seeds give independent streams.
  void initialize(const ir::Graph &g, uint64_t seed);
  bool contains(const std::string &name) const { return buffers_.count(name) != 0; }
  /// Adds (or replaces) a buffer, e.g. a value folded at compile time.
  void add(const std::string &name, TensorBuffer buf) { buffers_[name] = std::move(buf); }
  TensorBuffer &at(const std::string &name) { return buffers_.at(name); }
  const std::map<std::string, TensorBuffer> &buffers() const { return buffers_; }

private:
  std::map<std::string, TensorBuffer> buffers_;
};

/// Fills `out` per `init` for a tensor of `shape` (no batch dimension).
void fillInitializer(const ir::Initializer &init, const ir::Shape &shape, uint64_t seed,
                     std::vector<double> &out);

} // namespace nnc::runtime
