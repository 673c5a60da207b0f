#include "frontend/config_block.h"

#include "frontend/constants.h"
#include "support/spelling.h"

#include <fmt/format.h>
#include <map>

namespace nnc::frontend {

void readSettings(LoweringContext &cx, const ast::Stmt &block, const std::string &blockName,
                  const std::vector<Setting> &settings,
                  std::string (*explain)(const std::string &key)) {
  std::map<std::string, ast::Span> seen;
  for (const ast::BlockEntry &entry : block.entries) {
    auto [first, inserted] = seen.try_emplace(entry.key, entry.keySpan);
    if (!inserted) {
      cx.error(entry.keySpan, fmt::format("'{}' is set twice; first at {}", entry.key,
                                          LoweringContext::position(first->second)));
      continue;
    }
    const Setting *setting = nullptr;
    std::vector<std::string> keys;
    for (const Setting &s : settings) {
      keys.push_back(s.key);
      if (s.key == entry.key)
        setting = &s;
    }
    if (setting) {
      setting->read(cx, entry);
      continue;
    }
    std::string hint = explain ? explain(entry.key) : "";
    if (hint.empty())
      hint = support::didYouMean(entry.key, keys);
    if (hint.empty()) {
      hint = "; expected ";
      for (size_t i = 0; i < keys.size(); ++i)
        hint += (i == 0 ? "" : i + 1 == keys.size() ? " or " : ", ") + keys[i];
    }
    cx.error(entry.keySpan, fmt::format("unknown {} setting '{}'{}", blockName, entry.key, hint));
  }
}

void readValidation(LoweringContext &cx, const ast::BlockEntry &entry) {
  if (cx.validationSpan) {
    cx.error(entry.keySpan, fmt::format("validation is already set at {}",
                                        LoweringContext::position(*cx.validationSpan)));
    return;
  }
  cx.validationSpan = entry.keySpan;
  auto v = constantNumber(cx, *entry.value, "validation");
  if (!v)
    return;
  if (*v < 0 || *v >= 1) {
    cx.error(entry.value->span, fmt::format("validation must be a fraction in [0, 1), got {}", *v));
    return;
  }
  cx.model.train.validation = *v;
}

} // namespace nnc::frontend
