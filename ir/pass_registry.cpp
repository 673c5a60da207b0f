#include "ir/pass_registry.h"

#include "ir/autodiff.h"

#include <fmt/format.h>

namespace nnc::ir {

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

std::string runPass(std::string_view name, std::unique_ptr<Graph> &g) {
  const PassInfo *pass = findPass(name);
  if (!pass)
    return fmt::format("error: unknown pass '{}'", name);
  try {
    pass->run(g);
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

} // namespace nnc::ir
