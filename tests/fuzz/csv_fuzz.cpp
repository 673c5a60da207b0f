// libFuzzer target: a CSV file through the public data API, as a training
// run uses it (tools/nnc/session.cpp, train_command.cpp): loadDataset with a
// spec, a held-out split, standardization, and an epoch of mini-batches.
// The first input byte picks the spec (classification, optional label, named
// columns, expected feature count), the second the batch size; the rest is
// the file. Handled: DataError ("file:row:col: error: ...").
#include "fuzz_support.h"

#include "runtime/batcher.h"
#include "runtime/dataset.h"
#include "runtime/standardizer.h"

#include <cmath>

using namespace nnc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  uint8_t options = data[0], batchByte = data[1];
  std::string path = fuzz::writeInputFile(data + 2, size - 2, ".csv");
  runtime::DatasetSpec spec;
  spec.classification = options & 1;
  spec.labelOptional = options & 2;
  if (options & 4)
    spec.labelColumn = "y";
  if (options & 8)
    spec.featureColumns = {"a", "b"};
  if (options & 16)
    spec.expectedFeatures = 1 + (options >> 6); // 1..4
  if (spec.classification && (options & 32))
    spec.classNames = {"0", "1", "a"};
  spec.inputName = "x";
  try {
    // No named cache: an unnamed temporary file per input (data_cache.h).
    runtime::Dataset d = runtime::loadDataset(path, spec, runtime::DataCacheOptions{});
    std::vector<float> features = d.featureMatrix();
    if (d.rows < 1 || (int64_t)features.size() != d.rows * d.numFeatures)
      fuzz::finding("a dataset of inconsistent size");
    for (float v : features)
      if (!std::isfinite(v))
        fuzz::finding("a non-finite feature was accepted");
    runtime::Dataset train = d;
    if (d.rows > 1)
      train = runtime::splitHoldout(d, 0.25, options).first;
    if (d.numFeatures > 0) {
      runtime::Standardizer s = runtime::Standardizer::fit(train);
      s.apply(train);
    }
    if (train.hasRegressionTargets())
      runtime::Standardizer::fitTargets(train).applyToTargets(train);
    runtime::Batcher batches(train, 1 + batchByte % 8, options & 128, batchByte);
    int64_t rows = 0;
    while (batches.next())
      rows += batches.size();
    if (rows != train.rows)
      fuzz::finding("an epoch did not visit every row once");
  } catch (const runtime::DataError &) {
    return 0;
  } catch (...) {
    fuzz::unexpectedException();
  }
  return 0;
}
