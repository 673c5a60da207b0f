// Persistent buffers of a model: trainable parameters and optimizer state,
// by name, filled by their seeded initializers (Glorot & Bengio 2010;
// He et al. 2015: fan_in = dims[0], fan_out = dims[1] of a [in, out] weight;
// a convolution filter [F,C,KH,KW] (rank 4) has fan_in = C*KH*KW and
// fan_out = F*KH*KW, as Keras and PyTorch count them).
#pragma once
#include "ir/graph.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <new>
#include <string>
#include <vector>

namespace nnc::runtime {

/// Allocates on 64-byte boundaries (a cache line, the widest vector); the
/// kernels need only each element's own alignment (codegen loads use Align(4)
/// for f32, the type's for f64).
template <class T> struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  CacheLineAllocator() = default;
  template <class U> CacheLineAllocator(const CacheLineAllocator<U> &) {}
  T *allocate(size_t n) { return static_cast<T *>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T *p, size_t n) { ::operator delete(p, n * sizeof(T), kAlign); }
  bool operator==(const CacheLineAllocator &) const = default;
};

/// One tensor's elements, row-major, each in its type's size (4 bytes for
/// f32, 8 for f64), so a model's memory is what its types say.
struct TensorBuffer {
  ir::TensorType type;
  bool optimizerState = false; // a State (moments, step counters), not a Param
  std::vector<std::byte, CacheLineAllocator<std::byte>> storage; // bytes() bytes

  void *data() { return storage.data(); }
  const void *data() const { return storage.data(); }
  int64_t numElements() const { return type.shape.numElements(1); }
  int64_t bytes() const { return numElements() * ir::dtypeBytes(type.dtype); }
  /// Sizes the storage for the type, zero-filled.
  void allocate() { storage.assign((size_t)bytes(), std::byte{0}); }
  float *f32() { return reinterpret_cast<float *>(storage.data()); }
  double *f64() { return reinterpret_cast<double *>(storage.data()); }
  /// Stores `values` (one per element) converted to the element type.
  void assignFrom(const std::vector<double> &values);
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
