// The user-defined layers of a program, by name, and the checks that need
// only their declarations:
//   - a layer is defined once and does not take the name of a built-in
//     function or loss;
//   - its parameters have distinct names and f32 types whose dimensions are
//     positive integers or names (`x: f32[n]`); every named dimension in its
//     result type and its params' types is bound by a parameter's type;
//   - its body holds params, values and one `return`, last;
//   - no layer calls itself, directly or through others (layers are inlined
//     at each use): "layer 'a' is recursive: a -> b -> a".
// Everything else in a body (names, shapes) is checked at each use, with the
// shapes of that use (layer_call.cpp).
#pragma once
#include "frontend/ast.h"
#include "frontend/diagnostics.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace nnc::frontend {

struct Program;

class LayerTable {
public:
  /// Collects and checks the layers of every file of `program`.
  void build(const Program &program, DiagnosticEngine &diags);
  /// The layer named `name`, or null.
  const ast::LayerDecl *find(const std::string &name) const;
  /// False for a layer whose declaration had an error: its uses check their
  /// arguments but do not lower the layer, so nothing is reported twice.
  bool isUsable(const ast::LayerDecl &layer) const { return !broken_.count(&layer); }
  std::vector<std::string> names() const;

private:
  void checkDeclaration(const ast::LayerDecl &layer, DiagnosticEngine &diags);
  void checkRecursion(DiagnosticEngine &diags);

  std::map<std::string, const ast::LayerDecl *> byName_;
  std::vector<const ast::LayerDecl *> ordered_; // in declaration order
  std::set<const ast::LayerDecl *> broken_;
};

} // namespace nnc::frontend
