// Ahead-of-time compilation: a prediction graph, its trained parameters and
// feature statistics become one standalone object file (or assembly) with a
// C entry point, for any LLVM target. The object needs only libc and libm.
//
// The entry, for a model prefix P (see c_header.h for the documented header):
//   int P_predict(const float *features, int64_t rows, float *outputs);
// It standardizes each chunk of at most maxBatch rows into a static buffer,
// points the kernel's bindings at embedded constant parameter arrays, runs
// the kernel (kernel_abi.h) with a static 64-byte aligned workspace and maps
// regression outputs back to data units. Static buffers: not thread-safe.
#pragma once
#include "codegen/kernel_abi.h"
#include "ir/graph.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nnc::codegen {

/// Elements of a parameter (or state) tensor, row-major, f32 or f64 as `type`.
struct ConstantTensor {
  ir::TensorType type;
  const void *data = nullptr;
};

/// Everything that goes into the object besides code generation settings.
struct AotModel {
  std::string prefix;             // C identifier prefix of every symbol, e.g. "iris"
  const ir::Graph *graph = nullptr; // the prediction graph
  std::string input;              // the feature Input, e.g. "x"
  std::string output;             // the Output returned to the caller
  std::string outputMeaning;      // "probabilities", "prediction": for the header
  int64_t maxBatch = 256;         // rows per kernel call
  std::map<std::string, ConstantTensor> tensors; // every Param/State binding, by name
  std::vector<float> featureMean, featureStd;    // empty: features are used as given
  std::optional<std::pair<float, float>> targetMeanStd; // outputs *= std, += mean
  bool classifier = false;        // outputs are probabilities of classNames
  bool binary = false;            // one probability (sigmoid head): class 1 if > 0.5
  std::vector<std::string> classNames, featureNames;
  std::string modelFile;          // for the header's comment
};

/// Where the code runs. An empty triple means the host (its CPU and features,
/// like the JIT); `cpu` empty means the host CPU or, for another triple, "generic".
struct AotTarget {
  std::string triple, cpu;
  int optLevel = 3;
};

enum class AotFileKind { Object, Assembly };

/// The C interface that the object defines (also what the header declares).
struct AotInterface {
  std::string prefix, predictSymbol, classNamesSymbol, featureNamesSymbol;
  int64_t numFeatures = 0, numOutputs = 0, maxBatch = 0;
  /// The input's shape per row, without the batch dimension: {n} for feature
  /// rows, {C, H, W} for images (a row's numFeatures = C*H*W pixels, CHW order).
  std::vector<int64_t> inputShape;
  std::string triple, cpu; // what the code was generated for
};

struct AotResult {
  AotInterface api;
  std::string bytes;  // the object file or assembly text
};

/// Lowers, optimizes and emits. Throws std::runtime_error for what a user can
/// cause (unknown triple or CPU, an unsupported model interface) and
/// std::logic_error for compiler bugs. Writes nothing.
AotResult emitAot(const AotModel &model, const AotTarget &target, AotFileKind kind);

/// A valid C identifier made of `name` (other characters become '_').
std::string cIdentifier(const std::string &name);

/// For --stats: the CPU description the GEMM's blocking was derived from and
/// the model's reasons (gemm_blocking.h), for `target` (empty: the host, as
/// the JIT compiles for). Throws std::runtime_error as emitAot does.
std::string gemmChoiceReport(const AotTarget &target);

} // namespace nnc::codegen
