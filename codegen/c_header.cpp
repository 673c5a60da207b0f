#include "codegen/c_header.h"

#include <cctype>
#include <fmt/format.h>

namespace nnc::codegen {

namespace {

/// Text safe inside a C comment: printable ASCII without "*/", "/*" or "??".
std::string commentSafe(const std::string &s) {
  std::string r;
  for (unsigned char c : s) {
    char ch = std::isprint(c) ? (char)c : '?';
    if ((ch == '/' && !r.empty() && r.back() == '*') || (ch == '*' && !r.empty() && r.back() == '/') ||
        (ch == '?' && !r.empty() && r.back() == '?'))
      r += ' ';
    r += ch;
  }
  return r;
}

std::string upper(const std::string &s) {
  std::string r;
  for (unsigned char c : s)
    r += (char)std::toupper(c);
  return r;
}

std::string nameList(const std::vector<std::string> &names) {
  std::string r;
  for (size_t i = 0; i < names.size(); ++i)
    r += fmt::format("{}{}: {}", i ? ", " : "", i, commentSafe(names[i]));
  return r;
}

} // namespace

std::string cHeader(const AotModel &model, const AotInterface &api) {
  const std::string &p = api.prefix;
  std::string P = upper(p), guard = P + "_NNC_MODEL_H";
  std::string out;
  auto line = [&](const std::string &s) { out += s + "\n"; };

  line(fmt::format("/* C interface of the model '{}' ({}),", commentSafe(p),
                   commentSafe(model.modelFile)));
  line(fmt::format(" * compiled ahead of time by nnc for {} (CPU {}).", api.triple, api.cpu));
  line(" * Generated file: do not edit.");
  line(" *");
  line(" * The trained parameters are embedded in the object file; it needs nothing but");
  line(" * libc and libm at link time:   cc main.c model.o -lm");
  line(" */");
  line("#ifndef " + guard);
  line("#define " + guard);
  line("");
  line("#include <stdint.h>");
  line("");
  line("#ifdef __cplusplus");
  line("extern \"C\" {");
  line("#endif");
  line("");
  line(fmt::format("/* Values per row of `features` (the model's input {}, {} values per row). */",
                   commentSafe(model.input), api.numFeatures));
  line(fmt::format("#define {}_NUM_FEATURES {}", P, api.numFeatures));
  if (api.inputShape.size() == 3) { // an image f32[C,H,W] (frontend: image inputs)
    line(fmt::format(
        "/* The input is one image per row: {}_NUM_FEATURES = CHANNELS * HEIGHT * WIDTH", P));
    line(" * pixels in row-major (channel, row, column) order, as the CSV's columns. */");
    line(fmt::format("#define {}_INPUT_CHANNELS {}", P, api.inputShape[0]));
    line(fmt::format("#define {}_INPUT_HEIGHT {}", P, api.inputShape[1]));
    line(fmt::format("#define {}_INPUT_WIDTH {}", P, api.inputShape[2]));
  }
  if (model.classifier && !model.binary)
    line("/* Values per row of `outputs`: one probability per class, in class id order. */");
  else if (model.binary)
    line("/* Values per row of `outputs`: the probability of class 1. */");
  else
    line("/* Values per row of `outputs`: the model's prediction. */");
  line(fmt::format("#define {}_NUM_OUTPUTS {}", P, api.numOutputs));
  if (model.classifier) {
    line("/* Number of classes; class ids are 0 .. NUM_CLASSES - 1. */");
    line(fmt::format("#define {}_NUM_CLASSES {}", P, model.classNames.size()));
  }
  line(fmt::format("/* Rows per internal kernel call ({}_predict takes any number of rows). */",
                   p));
  line(fmt::format("#define {}_MAX_BATCH {}", P, api.maxBatch));
  line("");
  if (model.classifier) {
    line(fmt::format("/* Class id -> class name ({}). */", nameList(model.classNames)));
    line(fmt::format("extern const char *const {}[{}_NUM_CLASSES];", api.classNamesSymbol, P));
  }
  if (!model.featureNames.empty()) {
    line("/* The columns the model was trained on, in the order of the features of a row. */");
    line(fmt::format("extern const char *const {}[{}_NUM_FEATURES];", api.featureNamesSymbol, P));
  }
  if (model.classifier || !model.featureNames.empty())
    line("");

  std::string features =
      model.featureMean.empty()
          ? " *             used as given (the model was trained without feature normalization).\n"
          : " *             in the units of the training data: they are standardized inside\n"
            " *             with the training data's mean and standard deviation (do not\n"
            " *             standardize them yourself).\n";
  std::string outputs =
      model.binary
          ? fmt::format(" *             the probability (0..1) that the row is class 1 ({});\n"
                        " *             predict class 1 when it is > 0.5.\n",
                        commentSafe(model.classNames.size() > 1 ? model.classNames[1] : "1"))
      : model.classifier ? " *             the probability (0..1, summing to 1) of each class in\n"
                           " *             class id order; the predicted class is the one of the\n"
                           " *             largest probability.\n"
      : model.targetMeanStd ? " *             the model's prediction, in the units of the training target.\n"
                            : " *             the model's prediction.\n";
  line(fmt::format("/* {}_predict: runs the model on `rows` rows of features.", p));
  out += fmt::format(" *   features: rows x {}_NUM_FEATURES floats, row-major, read,\n", P) + features;
  out += fmt::format(" *   outputs:  rows x {}_NUM_OUTPUTS floats, row-major, written:\n", P) + outputs;
  line(" * features and outputs must not overlap (outputs are written while features");
  line(" * are still being read).");
  line(" * Returns 0 on success (rows == 0 does nothing; the pointers may then be NULL),");
  line(" * -1 without writing anything if rows < 0 or a pointer is NULL.");
  line(" * Not thread-safe: it uses static buffers, so calls must not overlap (use one");
  line(" * lock around them). Non-finite features give non-finite outputs. */");
  line(fmt::format("int {}(const float *features, int64_t rows, float *outputs);",
                   api.predictSymbol));
  line("");
  line("#ifdef __cplusplus");
  line("} /* extern \"C\" */");
  line("#endif");
  line("");
  line("#endif /* " + guard + " */");
  return out;
}

} // namespace nnc::codegen
