#include "ir/pass_manager.h"

#include "ir/printer.h"
#include "ir/verifier.h"
#include "support/spelling.h"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <iostream>

namespace nnc::ir {

std::vector<std::string> optimizationPipeline(int level) {
  switch (level) {
  case 0:
    return {};
  case 1:
    return {"simplify", "constfold", "dce"};
  case 2:
    return {"simplify", "sink-pool-mask", "constfold", "cse", "dce", "fuse"};
  default:
    return {"simplify", "sink-pool-mask", "constfold", "cse", "simplify", "constfold", "cse", "dce", "fuse"};
  }
}

std::string checkPassNames(const std::set<std::string> &names) {
  std::vector<std::string> known;
  for (const PassInfo &p : allPasses())
    known.emplace_back(p.name);
  for (const std::string &n : names)
    if (!findPass(n))
      return fmt::format("unknown pass '{}'{}", n, support::didYouMean(n, known));
  return "";
}

PassManager::PassManager(PassInstruments instruments) : inst_(std::move(instruments)) {}

std::string PassManager::run(const std::vector<std::string> &pipeline, std::unique_ptr<Graph> &g) {
  std::ostream &dump = inst_.dump ? *inst_.dump : std::cerr;
  for (const std::string &pass : pipeline) {
    if (inst_.printBefore.count(pass))
      dump << "; *** IR dump before " << pass << " on @" << g->name() << " ***\n" << printGraph(*g);
    auto start = std::chrono::steady_clock::now();
    std::string failure = runPass(pass, g, ctx_);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto it = std::find_if(seconds_.begin(), seconds_.end(),
                           [&](const auto &e) { return e.first == pass; });
    if (it == seconds_.end())
      seconds_.emplace_back(pass, s);
    else
      it->second += s;
    if (!failure.empty())
      return failure;
    std::string broken = verifyGraph(*g);
    if (!broken.empty())
      throw std::logic_error(fmt::format("the graph is broken after pass '{}': {}", pass, broken));
    if (inst_.printAfterAll || inst_.printAfter.count(pass))
      dump << "; *** IR dump after " << pass << " on @" << g->name() << " ***\n" << printGraph(*g);
  }
  return "";
}

double PassManager::totalSeconds() const {
  double total = 0;
  for (auto &[name, s] : seconds_)
    total += s;
  return total;
}

std::string PassManager::timeReport() const {
  std::string out = "===--- graph pass execution time ---===\n";
  for (auto &[name, s] : seconds_)
    out += fmt::format("{:>10.3f} ms  {}\n", s * 1e3, name);
  out += fmt::format("{:>10.3f} ms  total\n", totalSeconds() * 1e3);
  return out;
}

} // namespace nnc::ir
