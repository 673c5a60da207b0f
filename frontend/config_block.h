// `key = value` blocks (`data { }`, `train { }`): each entry is read by the
// setting of its key. Errors: a key set twice, an unknown key (with a
// suggestion or the list of known keys), and whatever the setting reports.
#pragma once
#include "frontend/lowering_context.h"

#include <string>
#include <vector>

namespace nnc::frontend {

struct Setting {
  std::string key;
  void (*read)(LoweringContext &cx, const ast::BlockEntry &entry);
};

/// `hint`, if given, may explain an unknown key better than a suggestion
/// ("; momentum is a parameter of the optimizer: ..."); empty if it cannot.
void readSettings(LoweringContext &cx, const ast::Stmt &block, const std::string &blockName,
                  const std::vector<Setting> &settings,
                  std::string (*hint)(const std::string &key) = nullptr);

/// `validation = 0.2`: the held-out fraction in [0, 1), allowed in either
/// block but set only once.
void readValidation(LoweringContext &cx, const ast::BlockEntry &entry);

} // namespace nnc::frontend
