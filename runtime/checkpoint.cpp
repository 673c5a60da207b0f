#include "runtime/checkpoint.h"

#include "runtime/data_error.h"

#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace nnc::runtime {

using nlohmann::json;

namespace {

constexpr const char *kMagic = "nnc-weights";

[[noreturn]] void fail(const std::string &path, const std::string &what) {
  throw DataError(fmt::format("{}: error: {}", path, what));
}

int64_t payloadBytes(const TensorBuffer &t) {
  return t.numElements() * ir::dtypeBytes(t.type.dtype);
}

ir::DType parseDType(const std::string &s, const std::string &path) {
  if (s == "f32") return ir::DType::F32;
  if (s == "f64") return ir::DType::F64;
  fail(path, fmt::format("unsupported element type '{}'", s));
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
                       {"bytes", payloadBytes(t)}});
    offset += payloadBytes(t);
  }
  header["tensors"] = tensors;

  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      fail(path, fmt::format("cannot write: {}", std::strerror(errno)));
    out << kMagic << ' ' << kCheckpointVersion << '\n' << header.dump() << '\n';
    for (auto &[name, t] : c.tensors)
      out.write(reinterpret_cast<const char *>(t.data()), payloadBytes(t));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      fail(path, "cannot write: the disk may be full");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    fail(path, fmt::format("cannot write: {}", why));
  }
}

Checkpoint loadCheckpoint(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(path, fmt::format("cannot open weights file: {}", std::strerror(errno)));
  std::string magicLine, headerLine;
  std::getline(in, magicLine);
  std::istringstream ml(magicLine);
  std::string magic;
  int version = 0;
  ml >> magic >> version;
  if (magic != kMagic)
    fail(path, "not an nnc weights file (it does not start with 'nnc-weights')");
  if (version != kCheckpointVersion)
    fail(path, fmt::format("weights file version {} is not supported (this nnc reads version {})",
                           version, kCheckpointVersion));
  std::getline(in, headerLine);
  Checkpoint c;
  try {
    json h = json::parse(headerLine);
    c.model = h.at("model").get<std::string>();
    c.epochs = h.value("epochs", 0);
    c.classNames = h.value("class_names", std::vector<std::string>{});
    c.featureNames = h.value("feature_names", std::vector<std::string>{});
    auto statistics = [&](const char *key) -> std::optional<Standardizer> {
      if (!h.contains(key) || h[key].is_null())
        return std::nullopt;
      Standardizer s;
      s.mean = h[key].at("mean").get<std::vector<float>>();
      s.stddev = h[key].at("std").get<std::vector<float>>();
      if (s.mean.size() != s.stddev.size())
        fail(path, fmt::format("'{}' has {} means but {} deviations", key, s.mean.size(),
                               s.stddev.size()));
      return s;
    };
    c.normalization = statistics("normalization");
    c.targetNormalization = statistics("target_normalization");
    std::streampos base = in.tellg();
    for (const json &t : h.at("tensors")) {
      TensorBuffer buf;
      buf.type.dtype = parseDType(t.at("dtype").get<std::string>(), path);
      buf.type.shape = ir::Shape(t.at("shape").get<std::vector<int64_t>>());
      buf.optimizerState = t.at("role").get<std::string>() == "state";
      for (int64_t d : buf.type.shape.dims)
        if (d < 0 || d > (int64_t(1) << 32))
          fail(path, "a tensor has an invalid shape");
      int64_t bytes = t.at("bytes").get<int64_t>();
      if (bytes != payloadBytes(buf))
        fail(path, fmt::format("tensor '{}' has {} bytes but its shape needs {}",
                               t.at("name").get<std::string>(), bytes, payloadBytes(buf)));
      buf.allocate();
      in.seekg(base + std::streamoff(t.at("offset").get<int64_t>()));
      in.read(reinterpret_cast<char *>(buf.data()), bytes);
      if (!in)
        fail(path, "the file is truncated");
      c.tensors.emplace(t.at("name").get<std::string>(), std::move(buf));
    }
  } catch (const json::exception &e) {
    fail(path, fmt::format("malformed header: {}", e.what()));
  }
  return c;
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
    if (!(it->second.type == buf.type))
      fail(path, fmt::format("the model's parameter '{}' is {} but the weights file has {}", name,
                             buf.type.str(), it->second.type.str()));
    store.at(name).storage = it->second.storage;
  }
  for (auto &[name, t] : c.tensors)
    if (!t.optimizerState && !store.contains(name))
      fail(path, fmt::format("the weights file has parameter '{}', which the model does not have",
                             name));
}

} // namespace nnc::runtime
