#include "emit_object_command.h"

#include "codegen/c_header.h"
#include "codegen/object_emitter.h"
#include "fold_baked_weights.h"
#include "runtime/data_error.h"
#include "session.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <iostream>

namespace nnc::cli {

namespace {

/// The header's path: the output's with its extension replaced by ".h".
std::string headerPath(const std::string &out) {
  size_t slash = out.find_last_of('/');
  size_t dot = out.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
      dot == (slash == std::string::npos ? 0 : slash + 1))
    return out + ".h";
  return out.substr(0, dot) + ".h";
}

void writeTemp(const std::string &path, const std::string &bytes) {
  std::ofstream f(path + ".tmp", std::ios::binary | std::ios::trunc);
  f << bytes;
  if (!f.flush()) {
    std::string why = std::strerror(errno);
    std::remove((path + ".tmp").c_str());
    throw runtime::DataError(fmt::format("{}: error: cannot write: {}", path, why));
  }
}

/// Both files or neither: temporaries first, then two renames.
void writeBoth(const std::string &obj, const std::string &objBytes, const std::string &hdr,
               const std::string &hdrBytes) {
  writeTemp(obj, objBytes);
  try {
    writeTemp(hdr, hdrBytes);
  } catch (...) {
    std::remove((obj + ".tmp").c_str());
    throw;
  }
  auto fail = [&](const std::string &path) {
    std::string why = std::strerror(errno);
    std::remove((obj + ".tmp").c_str());
    std::remove((hdr + ".tmp").c_str());
    throw runtime::DataError(fmt::format("{}: error: cannot write: {}", path, why));
  };
  if (std::rename((hdr + ".tmp").c_str(), hdr.c_str()) != 0)
    fail(hdr);
  if (std::rename((obj + ".tmp").c_str(), obj.c_str()) != 0) {
    std::remove(hdr.c_str());
    fail(obj);
  }
}

} // namespace

void runEmitObject(const frontend::Model &m, const std::vector<const ir::Graph *> &graphs,
                   std::unique_ptr<ir::Graph> prediction, ir::PassManager &pm,
                   const Options &opts) {
  Session session(m, graphs, opts); // the parameters, classes and statistics of --weights
  if (opts.optLevel > 0)
    foldBakedWeights(*prediction, session.store, pm.context().stats);
  std::string failure = pm.run(ir::optimizationPipeline(opts.optLevel), prediction);
  if (!failure.empty())
    throw std::logic_error(failure);
  if (opts.stats)
    std::cerr << pm.context().stats.str();
  codegen::AotModel a;
  a.prefix = codegen::cIdentifier(m.name);
  a.graph = prediction.get();
  a.input = m.featureInput;
  a.classifier = m.classification || m.predictionIsLogits;
  a.binary = !m.classification && m.predictionIsLogits;
  a.output = a.classifier ? "probabilities" : "prediction";
  a.maxBatch = std::max<int64_t>(m.train.batchSize, 256); // as the JIT's prediction kernel
  for (auto &[name, buf] : session.store.buffers())
    a.tensors[name] = {buf.type, buf.storage.data()};
  if (session.normalization) {
    a.featureMean = session.normalization->mean;
    a.featureStd = session.normalization->stddev;
  }
  if (session.targetNormalization && !a.classifier)
    a.targetMeanStd = {session.targetNormalization->mean.at(0),
                       session.targetNormalization->stddev.at(0)};
  a.classNames = session.classNames;
  if (a.classifier && a.classNames.empty())
    for (int64_t k = 0; k < (a.binary ? 2 : m.numClasses); ++k)
      a.classNames.push_back(std::to_string(k));
  a.featureNames = session.featureNames;
  a.modelFile = opts.modelPath;

  bool object = opts.emit == "obj";
  std::string out = !opts.predictOut.empty() ? opts.predictOut : a.prefix + (object ? ".o" : ".s");
  std::string hdr = headerPath(out);
  if (hdr == out)
    throw runtime::DataError(fmt::format("{}: error: the output would overwrite its own header; "
                                         "name it model.o or model.s", out));
  codegen::AotTarget target{opts.targetTriple, opts.targetCpu, opts.optLevel};
  codegen::AotResult r = codegen::emitAot(
      a, target, object ? codegen::AotFileKind::Object : codegen::AotFileKind::Assembly);
  writeBoth(out, r.bytes, hdr, codegen::cHeader(a, r.api));
  std::cout << fmt::format("wrote {} and {} ({}, for {})\n", out, hdr, r.api.predictSymbol,
                           r.api.triple);
}

} // namespace nnc::cli
