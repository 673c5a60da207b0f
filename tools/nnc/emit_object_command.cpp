#include "emit_object_command.h"

#include "codegen/c_header.h"
#include "codegen/object_emitter.h"
#include "fold_baked_weights.h"
#include "runtime/data_error.h"
#include "session.h"
#include "support/output_files.h"

#include <fmt/format.h>
#include <iostream>
#include <sys/stat.h>

namespace nnc::cli {

namespace {

/// The header's path: the output's with its extension replaced by ".h".
std::string headerPathOf(const std::string &out) {
  size_t slash = out.find_last_of('/');
  size_t dot = out.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
      dot == (slash == std::string::npos ? 0 : slash + 1))
    return out + ".h";
  return out.substr(0, dot) + ".h";
}

} // namespace

AotOutputs aotOutputs(const frontend::Model &m, const Options &opts) {
  std::string ext = opts.emit == "obj" ? ".o" : ".s";
  std::string out = !opts.predictOut.empty() ? opts.predictOut : codegen::cIdentifier(m.name) + ext;
  std::string hdr = headerPathOf(out);
  // The header goes beside the output: beside /dev/stdout it would be a new
  // file /dev/stdout.h (and a FIFO's header a regular file next to it).
  struct stat st;
  bool special = out.rfind("/dev/", 0) == 0 || out.rfind("/proc/", 0) == 0 ||
                 (::stat(out.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode));
  if (special)
    throw runtime::DataError(fmt::format("{}: error: cannot write: --emit={} writes a C header "
                                         "beside its output ({}); -o must name a regular file, "
                                         "such as {}{}",
                                         out, opts.emit, hdr, codegen::cIdentifier(m.name), ext));
  if (hdr == out)
    throw runtime::DataError(fmt::format("{}: error: the output would overwrite its own header; "
                                         "name it model.o or model.s",
                                         out));
  return {out, hdr};
}

void runEmitObject(const frontend::Model &m, const std::vector<const ir::Graph *> &graphs,
                   std::unique_ptr<ir::Graph> prediction, ir::PassManager &pm,
                   const Options &opts) {
  Session session(m, graphs, opts); // the parameters, classes and statistics of --weights
  if (opts.optLevel > 0)
    bakeWeights(prediction, session.store, pm);
  std::string failure = pm.run(ir::optimizationPipeline(opts.optLevel), prediction);
  if (!failure.empty())
    throw std::logic_error(failure);
  if (opts.stats)
    std::cerr << pm.context().stats.str()
              << codegen::gemmChoiceReport({opts.targetTriple, opts.targetCpu, opts.optLevel});
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
  auto [out, hdr] = aotOutputs(m, opts);
  codegen::AotTarget target{opts.targetTriple, opts.targetCpu, opts.optLevel};
  codegen::AotResult r = codegen::emitAot(
      a, target, object ? codegen::AotFileKind::Object : codegen::AotFileKind::Assembly);
  std::string header = codegen::cHeader(a, r.api);
  support::writeOutputs({{out, [&](std::ostream &o) { o << r.bytes; }},
                         {hdr, [&](std::ostream &o) { o << header; }}}); // both or neither
  std::cout << fmt::format("wrote {} and {} ({}, for {})\n", out, hdr, r.api.predictSymbol,
                           r.api.triple);
}

} // namespace nnc::cli
