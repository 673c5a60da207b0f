#include "runtime/checkpoint_header.h"

#include "runtime/data_error.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

namespace nnc::runtime {

using nlohmann::json;

namespace {

constexpr int64_t kMaxEpochs = int64_t(1) << 53; // exact as a double; sums cannot overflow
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

/// A header field as messages name it: 'tensors[1].bytes' (tensor 'dense1.W').
struct Field {
  std::string path;
  std::string tensor; // the tensor the field belongs to, if known

  Field operator[](const std::string &key) const { return {path + "." + key, tensor}; }
  Field operator[](size_t i) const { return {path + "[" + std::to_string(i) + "]", tensor}; }
  std::string str() const {
    return "'" + path + "'" + (tensor.empty() ? "" : " (tensor '" + tensor + "')");
  }
};

/// A value as messages show it: its JSON, cut short.
std::string shown(const json &j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

class HeaderChecker {
public:
  HeaderChecker(const std::string &path, int64_t payloadBytes)
      : path_(path), payload_(payloadBytes) {}

  CheckpointHeader check(const json &h);

private:
  [[noreturn]] void bad(const Field &f, const std::string &what) const {
    throw DataError(fmt::format("{}: error: header field {}{}", path_, f.str(), what));
  }
  /// h[key], or null if absent.
  static const json *member(const json &h, const char *key) {
    auto it = h.find(key);
    return it == h.end() ? nullptr : &*it;
  }
  int64_t wholeNumber(const json *j, const Field &f, int64_t lo, int64_t hi) const;
  std::string text(const json *j, const Field &f) const;
  const json &array(const json *j, const Field &f) const;
  std::vector<std::string> strings(const json *j, const Field &f) const;
  std::optional<Standardizer> statistics(const json *j, const Field &f) const;
  void tensor(const json &t, size_t i, CheckpointHeader &out, std::set<std::string> &names) const;
  void checkApart(const std::vector<TensorExtent> &extents) const;

  std::string path_;
  int64_t payload_;
};

int64_t HeaderChecker::wholeNumber(const json *j, const Field &f, int64_t lo, int64_t hi) const {
  auto outOfRange = [&] {
    bad(f, fmt::format(" is {}; it must be a whole number from {} to {}", j ? shown(*j) : "missing",
                       lo, hi));
  };
  if (!j)
    outOfRange();
  int64_t v = 0;
  if (j->is_number_integer() && !j->is_number_unsigned()) {
    v = j->get<int64_t>();
  } else if (j->is_number_unsigned()) {
    uint64_t u = j->get<uint64_t>();
    if (u > (uint64_t)kInt64Max)
      outOfRange();
    v = (int64_t)u;
  } else if (j->is_number_float()) {
    double d = j->get<double>();
    // 0x1p63 is the first double above int64's range.
    if (!std::isfinite(d) || d != std::floor(d) || d < (double)lo || d >= 0x1p63)
      outOfRange();
    v = (int64_t)d;
  } else {
    outOfRange();
  }
  if (v < lo || v > hi)
    outOfRange();
  return v;
}

std::string HeaderChecker::text(const json *j, const Field &f) const {
  if (!j || !j->is_string())
    bad(f, fmt::format(" is {}; it must be a string", j ? shown(*j) : "missing"));
  return j->get<std::string>();
}

const json &HeaderChecker::array(const json *j, const Field &f) const {
  if (!j || !j->is_array())
    bad(f, fmt::format(" is {}; it must be an array", j ? shown(*j) : "missing"));
  return *j;
}

std::vector<std::string> HeaderChecker::strings(const json *j, const Field &f) const {
  std::vector<std::string> out;
  if (!j)
    return out;
  const json &a = array(j, f);
  for (size_t i = 0; i < a.size(); ++i)
    out.push_back(text(&a[i], f[i]));
  return out;
}

std::optional<Standardizer> HeaderChecker::statistics(const json *j, const Field &f) const {
  if (!j || j->is_null())
    return std::nullopt;
  if (!j->is_object())
    bad(f, fmt::format(" is {}; it must be an object with 'mean' and 'std'", shown(*j)));
  if (const json *kind = member(*j, "kind"); kind && *kind != "standard")
    bad(f["kind"], fmt::format(" is {}; it must be \"standard\"", shown(*kind)));
  auto values = [&](const char *key, bool deviation) {
    const json &a = array(member(*j, key), f[key]);
    std::vector<float> out;
    for (size_t i = 0; i < a.size(); ++i) {
      double v = a[i].is_number() ? a[i].get<double>() : NAN;
      if (!std::isfinite(v) || std::fabs(v) > FLT_MAX)
        bad(f[key][i], fmt::format(" is {}; it must be a finite f32", shown(a[i])));
      if (deviation && (float)v <= 0)
        bad(f[key][i],
            fmt::format(" is {}; a standard deviation must be finite and positive", shown(a[i])));
      out.push_back((float)v);
    }
    return out;
  };
  Standardizer s;
  s.mean = values("mean", false);
  s.stddev = values("std", true);
  if (s.mean.size() != s.stddev.size())
    bad(f["std"], fmt::format(" has {} values but '{}' has {}", s.stddev.size(), f["mean"].path,
                              s.mean.size()));
  return s;
}

void HeaderChecker::tensor(const json &t, size_t i, CheckpointHeader &out,
                           std::set<std::string> &names) const {
  Field f{"tensors[" + std::to_string(i) + "]", ""};
  if (!t.is_object())
    bad(f, fmt::format(" is {}; it must be an object", shown(t)));
  std::string name = text(member(t, "name"), f["name"]);
  if (!names.insert(name).second)
    bad(f["name"], fmt::format(": tensor '{}' appears twice", name));
  f.tensor = name;

  TensorBuffer buf;
  const json *role = member(t, "role");
  if (!role || (*role != "param" && *role != "state"))
    bad(f["role"],
        fmt::format(" is {}; it must be \"param\" or \"state\"", role ? shown(*role) : "missing"));
  buf.optimizerState = *role == "state";
  const json *dtype = member(t, "dtype");
  if (!dtype || (*dtype != "f32" && *dtype != "f64"))
    bad(f["dtype"],
        fmt::format(" is {}; it must be \"f32\" or \"f64\"", dtype ? shown(*dtype) : "missing"));
  buf.type.dtype = *dtype == "f32" ? ir::DType::F32 : ir::DType::F64;

  // The byte count of the shape, without overflow: a product past the file's
  // size is refused before it is formed.
  const json &shape = array(member(t, "shape"), f["shape"]);
  std::vector<int64_t> dims;
  for (size_t k = 0; k < shape.size(); ++k)
    dims.push_back(wholeNumber(&shape[k], f["shape"][k], 0, kInt64Max));
  buf.type.shape = ir::Shape(dims);
  int64_t elementBytes = ir::dtypeBytes(buf.type.dtype), need = elementBytes;
  bool overflow = false;
  if (std::find(dims.begin(), dims.end(), 0) != dims.end())
    need = 0;
  else
    for (int64_t d : dims) {
      overflow = overflow || need > kInt64Max / d;
      need = overflow ? need : need * d;
    }
  if (overflow || need > payload_)
    bad(f["shape"],
        fmt::format(" is {} of {}, {}, but the file has {} tensor bytes", buf.type.shape.str(),
                    ir::dtypeName(buf.type.dtype),
                    overflow ? "more than 2^63 bytes" : fmt::format("{} bytes", need), payload_));
  int64_t bytes = wholeNumber(member(t, "bytes"), f["bytes"], 0, payload_);
  if (bytes != need)
    bad(f["bytes"], fmt::format(" is {} but its shape {} of {} has {} bytes", bytes,
                                buf.type.shape.str(), ir::dtypeName(buf.type.dtype), need));
  int64_t offset = wholeNumber(member(t, "offset"), f["offset"], 0, payload_);
  if (offset > payload_ - bytes)
    throw DataError(fmt::format("{}: error: the file is truncated: tensor '{}' ('{}') has bytes "
                                "{} to {} but the file has {} tensor bytes",
                                path_, name, f.path, offset, offset + bytes, payload_));
  out.extents.push_back({name, offset, bytes});
  out.checkpoint.tensors.emplace(name, std::move(buf));
}

void HeaderChecker::checkApart(const std::vector<TensorExtent> &extents) const {
  std::vector<size_t> order(extents.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return extents[a].offset < extents[b].offset; });
  const TensorExtent *last = nullptr; // the one ending furthest so far
  for (size_t i : order) {
    const TensorExtent &e = extents[i];
    if (e.bytes == 0)
      continue;
    if (last && e.offset < last->offset + last->bytes)
      bad({"tensors[" + std::to_string(i) + "].offset", ""},
          fmt::format(": tensor '{}' (bytes {} to {}) overlaps tensor '{}' (bytes {} to {})",
                      e.name, e.offset, e.offset + e.bytes, last->name, last->offset,
                      last->offset + last->bytes));
    if (!last || e.offset + e.bytes > last->offset + last->bytes)
      last = &e;
  }
}

CheckpointHeader HeaderChecker::check(const json &h) {
  if (!h.is_object())
    throw DataError(fmt::format("{}: error: the header is {}, not a JSON object", path_, shown(h)));
  CheckpointHeader out;
  Checkpoint &c = out.checkpoint;
  c.model = text(member(h, "model"), {"model", ""});
  if (const json *epochs = member(h, "epochs"))
    c.epochs = wholeNumber(epochs, {"epochs", ""}, 0, kMaxEpochs);
  c.classNames = strings(member(h, "class_names"), {"class_names", ""});
  std::map<std::string_view, size_t> firstOfName;
  for (size_t i = 0; i < c.classNames.size(); ++i)
    if (auto [it, isNew] = firstOfName.emplace(c.classNames[i], i); !isNew)
      bad(Field{"class_names", ""}[i],
          fmt::format(" is {}, as is 'class_names[{}]'; class names must differ",
                      shown(json(c.classNames[i])), it->second));
  c.featureNames = strings(member(h, "feature_names"), {"feature_names", ""});
  c.normalization = statistics(member(h, "normalization"), {"normalization", ""});
  c.targetNormalization =
      statistics(member(h, "target_normalization"), {"target_normalization", ""});
  const json &tensors = array(member(h, "tensors"), {"tensors", ""});
  std::set<std::string> names;
  for (size_t i = 0; i < tensors.size(); ++i)
    tensor(tensors[i], i, out, names);
  checkApart(out.extents);
  return out;
}

} // namespace

CheckpointHeader parseCheckpointHeader(const std::string &text, int64_t payloadBytes,
                                       const std::string &path) {
  json h;
  try {
    h = json::parse(text);
  } catch (const json::exception &e) {
    throw DataError(fmt::format("{}: error: the header is not valid JSON: {}", path, e.what()));
  }
  return HeaderChecker(path, payloadBytes).check(h);
}

} // namespace nnc::runtime
