#include "session.h"

#include "runtime/csv_table.h"

#include <fmt/format.h>

namespace nnc::cli {

namespace {

void checkClassCount(const frontend::Model &m, const std::vector<std::string> &classes,
                     const std::string &path) {
  if (!m.classification || (int64_t)classes.size() == m.numClasses)
    return;
  std::string names;
  for (size_t i = 0; i < classes.size() && i < 6; ++i)
    names += (i ? ", " : "") + runtime::displayCell(classes[i]);
  if (classes.size() > 6)
    names += ", ...";
  throw runtime::DataError(fmt::format("{}: error: the model's label {} has {} classes but the "
                                       "label column has {} distinct value{} ({})",
                                       path, m.targetInput, m.numClasses, classes.size(),
                                       classes.size() == 1 ? "" : "s", names));
}

/// A checkpoint's statistics fit the model: a mean per feature, and one for
/// a regression target (a classifier's target is not normalized).
void checkStatistics(const frontend::Model &m, const runtime::Checkpoint &c,
                     const std::string &path) {
  const ir::Node *x = m.forward->findNamed(ir::OpKind::Input, m.featureInput);
  int64_t features = x->shape().numElements(1);
  if (c.normalization && (int64_t)c.normalization->mean.size() != features)
    throw runtime::DataError(fmt::format("{}: error: header field 'normalization.mean' has {} "
                                         "values but model '{}' has {} features",
                                         path, c.normalization->mean.size(), m.name, features));
  if (c.targetNormalization && !m.classification && c.targetNormalization->mean.size() != 1)
    throw runtime::DataError(fmt::format("{}: error: header field 'target_normalization.mean' "
                                         "has {} values but model '{}' has one target",
                                         path, c.targetNormalization->mean.size(), m.name));
}

} // namespace

Session::Session(const frontend::Model &m, const std::vector<const ir::Graph *> &graphs,
                 const Options &opts)
    : model(m) {
  store.initialize(*m.forward, m.train.seed); // parameters first: their seeds do not
  for (const ir::Graph *g : graphs)           // depend on which kernels exist
    store.initialize(*g, m.train.seed);
  const std::string &path = !opts.loadWeights.empty() ? opts.loadWeights : opts.initWeights;
  if (path.empty())
    return;
  runtime::Checkpoint c = runtime::loadCheckpoint(path);
  bool paramsOnly = opts.loadWeights.empty();
  runtime::restoreTensors(c, store, path, paramsOnly);
  if (paramsOnly)
    return;
  checkClassCount(m, c.classNames, path);
  checkStatistics(m, c, path);
  classNames = c.classNames;
  featureNames = c.featureNames;
  normalization = c.normalization;
  targetNormalization = c.targetNormalization;
  epochs = c.epochs;
}

runtime::Dataset Session::load(const std::string &path, bool labelOptional) {
  runtime::DatasetSpec spec;
  spec.featureColumns = model.data.features;
  spec.labelColumn = model.data.label;
  spec.classification = model.classification;
  spec.classNames = classNames;
  const ir::Node *x = model.forward->findNamed(ir::OpKind::Input, model.featureInput);
  spec.expectedFeatures = x->shape().numElements(1);
  spec.inputName = model.featureInput;
  if (x->shape().rank() > 2) { // images: say how the columns become pixels
    std::string dims;
    for (size_t i = 1; i < x->shape().dims.size(); ++i)
      dims += (i > 1 ? "x" : "") + std::to_string(x->shape().dims[i]);
    spec.inputName += fmt::format(" ({}, the columns in row-major order)", dims);
  }
  spec.labelOptional = labelOptional;
  if (!model.classification) {
    const ir::Node *y = model.forward->findNamed(ir::OpKind::Input, model.targetInput);
    int64_t width = y->shape().numElements(1);
    if (width != 1)
      throw runtime::DataError(fmt::format(
          "{}: error: the model's target {} has {} values per row, but nnc reads one target "
          "column; declare it as f32[1]",
          path, model.targetInput, width));
  }
  runtime::Dataset d = runtime::loadDataset(path, spec);
  // The columns must mean what they meant in training (a CSV with a header).
  if (!featureNames.empty() && d.hasHeader && d.featureNames != featureNames &&
      model.data.features.empty())
    for (size_t j = 0; j < d.featureNames.size() && j < featureNames.size(); ++j)
      if (d.featureNames[j] != featureNames[j])
        throw runtime::DataError(
            fmt::format("{}: error: feature column {} is '{}' here but '{}' in the training data",
                        path, j + 1, d.featureNames[j], featureNames[j]));
  return d;
}

void Session::normalize(runtime::Dataset &d) const {
  if (normalization)
    normalization->apply(d);
  if (targetNormalization && d.hasRegressionTargets())
    targetNormalization->applyToTargets(d);
}

void Session::adoptTrainingData(const runtime::Dataset &train) {
  if (classNames.empty()) {
    checkClassCount(model, train.classNames, train.path);
    classNames = train.classNames;
  }
  if (featureNames.empty())
    featureNames = train.featureNames;
  if (!normalization && model.data.standardize)
    normalization = runtime::Standardizer::fit(train);
  if (!targetNormalization && model.data.standardizeTarget && !model.classification)
    targetNormalization = runtime::Standardizer::fitTargets(train);
}

runtime::Checkpoint Session::checkpoint() const {
  runtime::Checkpoint c;
  c.model = model.name;
  c.tensors = store.buffers();
  c.classNames = classNames;
  c.featureNames = featureNames;
  c.normalization = normalization;
  c.targetNormalization = targetNormalization;
  c.epochs = epochs;
  return c;
}

} // namespace nnc::cli
