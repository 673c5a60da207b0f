#include "ir/pass_registry.h"

#include "ir/autodiff.h"

#include <fmt/format.h>

namespace nnc::ir {

void PassStatistics::add(std::string_view pass, std::string_view what, int64_t n) {
  if (n == 0)
    return; // like LLVM's -stats, only what happened is listed
  counters_[{std::string(pass), std::string(what)}] += n;
}

int64_t PassStatistics::get(std::string_view pass, std::string_view what) const {
  auto it = counters_.find({std::string(pass), std::string(what)});
  return it == counters_.end() ? 0 : it->second;
}

std::string PassStatistics::str() const {
  size_t nameWidth = 0;
  for (auto &[key, n] : counters_)
    nameWidth = std::max(nameWidth, key.first.size());
  std::string s = "===--- statistics collected by the graph passes ---===\n";
  for (auto &[key, n] : counters_)
    s += fmt::format("{:>8} {:<{}} - {}\n", n, key.first, nameWidth, key.second);
  return s;
}

const std::vector<PassInfo> &allPasses() {
  static const std::vector<PassInfo> all = {
#define NNC_PASS(name, description, function) {name, description, &passes::function},
#include "ir/passes.def"
  };
  return all;
}

const PassInfo *findPass(std::string_view name) {
  for (const PassInfo &p : allPasses())
    if (p.name == name)
      return &p;
  return nullptr;
}

std::string runPass(std::string_view name, std::unique_ptr<Graph> &g, PassContext &ctx) {
  const PassInfo *pass = findPass(name);
  if (!pass)
    return fmt::format("error: unknown pass '{}'", name);
  try {
    pass->run(g, ctx);
    return "";
  } catch (const NoGradientError &e) {
    const SourceLoc &loc = e.loc;
    std::string where = loc.line ? fmt::format("{}:{}:{}: ", loc.file, loc.line, loc.col) : "";
    return fmt::format("{}error: pass '{}': {}", where, name, e.what());
  } catch (const std::logic_error &e) {
    return fmt::format("error: pass '{}': internal error: {}", name, e.what());
  } catch (const std::exception &e) {
    return fmt::format("error: pass '{}': {}", name, e.what());
  }
}

std::string runPass(std::string_view name, std::unique_ptr<Graph> &g) {
  PassContext ctx;
  return runPass(name, g, ctx);
}

} // namespace nnc::ir
