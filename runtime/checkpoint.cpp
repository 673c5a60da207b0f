#include "runtime/checkpoint.h"

#include "runtime/checkpoint_header.h"
#include "runtime/data_error.h"
#include "support/output_files.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>

namespace nnc::runtime {

using nlohmann::json;

namespace {

constexpr const char *kMagic = "nnc-weights";

/// The first element of a float tensor that is NaN or infinite, else -1.
int64_t firstNonFinite(TensorBuffer &buf) {
  for (int64_t k = 0, n = buf.numElements(); k < n; ++k)
    if (buf.type.dtype == ir::DType::F32   ? !std::isfinite(buf.f32()[k])
        : buf.type.dtype == ir::DType::F64 ? !std::isfinite(buf.f64()[k])
                                           : false)
      return k;
  return -1;
}

[[noreturn]] void fail(const std::string &path, const std::string &what) {
  throw DataError(fmt::format("{}: error: {}", path, what));
}

} // namespace

void saveCheckpoint(const std::string &path, const Checkpoint &c) {
  json header;
  header["model"] = c.model;
  header["epochs"] = c.epochs;
  header["class_names"] = c.classNames;
  header["feature_names"] = c.featureNames;
  if (c.normalization)
    header["normalization"] = {{"kind", "standard"},
                               {"mean", c.normalization->mean},
                               {"std", c.normalization->stddev}};
  if (c.targetNormalization)
    header["target_normalization"] = {{"kind", "standard"},
                                      {"mean", c.targetNormalization->mean},
                                      {"std", c.targetNormalization->stddev}};
  json tensors = json::array();
  int64_t offset = 0;
  for (auto &[name, t] : c.tensors) {
    tensors.push_back({{"name", name},
                       {"role", t.optimizerState ? "state" : "param"},
                       {"dtype", ir::dtypeName(t.type.dtype)},
                       {"shape", t.type.shape.dims},
                       {"offset", offset},
                       {"bytes", t.bytes()}});
    offset += t.bytes();
  }
  header["tensors"] = tensors;

  // Names that are not UTF-8 (from a CSV) are written with U+FFFD, not refused.
  std::string headerLine = header.dump(-1, ' ', false, json::error_handler_t::replace);
  try {
    support::writeOutput(path, [&](std::ostream &out) {
      out << kMagic << ' ' << kCheckpointVersion << '\n' << headerLine << '\n';
      for (auto &[name, t] : c.tensors)
        out.write(reinterpret_cast<const char *>(t.data()), t.bytes());
    });
  } catch (const support::OutputError &e) {
    throw DataError(e.what());
  }
}

namespace {

/// Reads up to and without the next '\n' into `line`; false if no '\n'
/// comes within `max` bytes (or before the end).
bool readLine(std::istream &in, size_t max, std::string &line) {
  line.clear();
  for (int c; (c = in.get()) != EOF;) {
    if (c == '\n')
      return true;
    if (line.size() >= max)
      return false;
    line.push_back((char)c);
  }
  return false;
}

constexpr size_t kMaxStreamedHeader = size_t(64) << 20; // of a pipe, whose size is unknown

} // namespace

Checkpoint loadCheckpoint(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    fail(path, fmt::format("cannot open weights file: {}", std::strerror(errno)));
  if (S_ISDIR(st.st_mode))
    fail(path, "cannot open weights file: it is a directory");
  std::ifstream file(path, std::ios::binary);
  if (!file)
    fail(path, fmt::format("cannot open weights file: {}", std::strerror(errno)));
  bool regular = S_ISREG(st.st_mode);
  std::string magicLine, headerLine;
  if (!readLine(file, 32, magicLine) || magicLine.rfind(std::string(kMagic) + " ", 0) != 0)
    fail(path, "not an nnc weights file (it does not start with 'nnc-weights')");
  std::string version = magicLine.substr(std::strlen(kMagic) + 1);
  if (version != std::to_string(kCheckpointVersion))
    fail(path, fmt::format("weights file version {} is not supported (this nnc reads version {})",
                           version, kCheckpointVersion));
  if (!readLine(file, regular ? (size_t)st.st_size : kMaxStreamedHeader, headerLine))
    fail(path, "the file is truncated: its header line has no end");

  // A pipe or device: its tensor bytes are read first (as many as the header
  // asks for, no more), so that they can be checked as a file's are.
  std::istringstream streamed;
  int64_t base = regular ? (int64_t)file.tellg() : 0;
  int64_t payload = regular ? (int64_t)st.st_size - base : 0;
  if (!regular) {
    int64_t want = 0;
    for (auto &e : parseCheckpointHeader(headerLine, INT64_MAX, path).extents)
      want = std::max(want, e.offset + e.bytes);
    std::string bytes;
    char chunk[1 << 16];
    while ((int64_t)bytes.size() <= want && file.read(chunk, sizeof chunk).gcount() > 0)
      bytes.append(chunk, (size_t)file.gcount());
    payload = (int64_t)bytes.size();
    streamed.str(std::move(bytes));
  }
  std::istream &in = regular ? static_cast<std::istream &>(file) : streamed;

  CheckpointHeader h = parseCheckpointHeader(headerLine, payload, path);
  for (const TensorExtent &e : h.extents) { // all checked: allocations fit the file
    TensorBuffer &buf = h.checkpoint.tensors.at(e.name);
    buf.allocate();
    in.seekg(base + e.offset);
    in.read(reinterpret_cast<char *>(buf.data()), e.bytes);
    if (!in)
      fail(path, "the file is truncated (did it change while it was read?)");
    if (int64_t k = firstNonFinite(buf); k >= 0)
      fail(path, fmt::format("tensor '{}' holds {} at element {}; weights must be finite numbers "
                             "(is the file damaged?)",
                             e.name, buf.type.dtype == ir::DType::F32 ? buf.f32()[k] : buf.f64()[k],
                             k));
  }
  return std::move(h.checkpoint);
}

void restoreTensors(const Checkpoint &c, ParamStore &store, const std::string &path,
                    bool paramsOnly) {
  for (auto &[name, buf] : store.buffers()) {
    auto it = c.tensors.find(name);
    if (buf.optimizerState && (paramsOnly || it == c.tensors.end()))
      continue; // state starts fresh
    if (it == c.tensors.end())
      fail(path, fmt::format("the model's parameter '{}' is not in the weights file (trained "
                             "for model '{}')",
                             name, c.model));
    if (it->second.optimizerState != buf.optimizerState)
      fail(path, fmt::format("the weights file has '{}' as {}, but it is {} of the model", name,
                             it->second.optimizerState ? "optimizer state" : "a parameter",
                             buf.optimizerState ? "optimizer state" : "a parameter"));
    if (!(it->second.type == buf.type))
      fail(path, fmt::format("the model's parameter '{}' is {} but the weights file has {}", name,
                             buf.type.str(), it->second.type.str()));
    store.at(name).storage = it->second.storage;
  }
  for (auto &[name, t] : c.tensors)
    if (!t.optimizerState && !store.contains(name))
      fail(path,
           fmt::format("the weights file has parameter '{}', which the model does not have", name));
}

} // namespace nnc::runtime
