#include "support/output_files.h"
#include "train_command.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <map>

namespace nnc::cli {

using codegen::Binding;

namespace {

/// One output of the prediction kernel over a whole data set (rows x width);
/// empty with width 0 if the kernel has no such output.
struct Column {
  std::vector<float> values;
  int64_t width = 0;
};

/// Runs the prediction kernel over `d` in chunks, every output bound to its
/// own rows of its own buffer in each chunk.
std::map<std::string, Column> predictAll(runtime::KernelRunner &k, const runtime::Dataset &d,
                                         const std::string &input,
                                         const std::vector<std::string> &names) {
  std::map<std::string, Column> out;
  for (const std::string &name : names) {
    int i = k.signature().find(Binding::Output, name);
    Column &c = out[name];
    if (i < 0)
      continue;
    c.width = k.signature().bindings[i].type.shape.numElements(1);
    c.values.resize(d.rows * c.width);
  }
  int64_t chunk = k.signature().maxBatch;
  std::vector<float> features(chunk * d.numFeatures);
  for (int64_t row = 0; row < d.rows; row += chunk) {
    int64_t n = std::min(chunk, d.rows - row);
    d.gatherRange(row, n, features.data(), nullptr, nullptr);
    k.bind(Binding::Input, input, features.data());
    for (auto &[name, c] : out)
      if (c.width)
        k.bind(Binding::Output, name, c.values.data() + row * c.width);
    k.run(n);
  }
  return out;
}

std::string csvField(const std::string &s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos)
    return s;
  std::string q = "\"";
  for (char c : s)
    q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

} // namespace

void runPrediction(Session &s, const Options &opts, Kernels k) {
  const frontend::Model &m = s.model;
  runtime::Dataset d = s.load(opts.predictCsv, /*labelOptional=*/true);
  s.normalize(d);
  auto columns = predictAll(*k.predict, d, m.featureInput, {"prediction", "probabilities"});
  std::vector<float> &pred = columns["prediction"].values, &probs = columns["probabilities"].values;
  int64_t width = columns["prediction"].width, probWidth = columns["probabilities"].width;
  if (s.targetNormalization) // back to the data's units
    s.targetNormalization->restoreTargets(pred.data(), (int64_t)pred.size());

  std::string text;
  if (m.classification) {
    text = "predicted";
    for (const std::string &c : s.classNames)
      text += "," + csvField("p_" + c);
    text += "\n";
    for (int64_t r = 0; r < d.rows; ++r) {
      const float *p = probs.data() + r * probWidth;
      int64_t best = std::max_element(p, p + probWidth) - p;
      text += csvField(s.classNames.at(best));
      for (int64_t j = 0; j < probWidth; ++j)
        text += fmt::format(",{:.6g}", p[j]);
      text += "\n";
    }
  } else if (!probs.empty()) { // one logit against 0/1 targets
    text = "predicted,probability\n";
    for (int64_t r = 0; r < d.rows; ++r)
      text += fmt::format("{},{:.6g}\n", probs[r] > 0.5f ? 1 : 0, probs[r]);
  } else {
    for (int64_t j = 0; j < width; ++j)
      text += (j ? "," : "") +
              (width == 1 ? std::string("prediction") : fmt::format("prediction_{}", j));
    text += "\n";
    for (int64_t r = 0; r < d.rows; ++r)
      for (int64_t j = 0; j < width; ++j)
        text += fmt::format("{:.7g}{}", pred[r * width + j], j + 1 == width ? "\n" : ",");
  }

  support::writeOutput(opts.predictOut, text);
  std::cout << fmt::format("wrote {} predictions to {}\n", d.rows, opts.predictOut);
}

} // namespace nnc::cli
