#include "frontend/layer_table.h"

#include "frontend/lower.h"
#include "frontend/program.h"
#include "support/spelling.h"

#include <algorithm>
#include <fmt/format.h>

namespace nnc::frontend {

namespace {

void error(DiagnosticEngine &diags, const ast::LayerDecl &layer, const ast::Span &at,
           std::string message) {
  diags.error({layer.file, at.line, at.col}, std::move(message), at.length);
}

/// "3:7" in the same file, "layers.nn:3:7" in another.
std::string where(const ast::LayerDecl &of, const std::string &fromFile) {
  std::string pos = fmt::format("{}:{}", of.nameSpan.line, of.nameSpan.col);
  return of.file == fromFile ? pos : of.file + ":" + pos;
}

const char *statementKeyword(ast::StmtKind k) {
  switch (k) {
  case ast::StmtKind::Input:
    return "input";
  case ast::StmtKind::Target:
    return "target";
  case ast::StmtKind::Label:
    return "label";
  case ast::StmtKind::Output:
    return "output";
  case ast::StmtKind::Loss:
    return "loss";
  case ast::StmtKind::Data:
    return "data";
  case ast::StmtKind::Train:
    return "train";
  default:
    return "";
  }
}

/// Calls of user layers in `e`: (callee, span of the callee name).
/// A worklist, not recursion: a chain is as deep as it is long.
void collectCalls(const ast::Expr &root, std::vector<std::pair<std::string, ast::Span>> &out) {
  std::vector<const ast::Expr *> pending = {&root};
  while (!pending.empty()) {
    const ast::Expr &e = *pending.back();
    pending.pop_back();
    if (e.kind == ast::ExprKind::Call)
      out.emplace_back(e.text, e.opSpan);
    for (size_t i = e.args.size(); i-- > 0;)
      pending.push_back(e.args[i].value.get());
    for (size_t i = e.operands.size(); i-- > 0;)
      pending.push_back(e.operands[i].get());
  }
}

} // namespace

void LayerTable::build(const Program &program, DiagnosticEngine &diags) {
  for (const auto &file : program.files)
    for (const ast::LayerDecl &layer : file->layers) {
      if (isBuiltinFunction(layer.name) || isLossFunction(layer.name)) {
        error(diags, layer, layer.nameSpan,
              fmt::format("'{}' is a built-in {}; choose another name for the layer", layer.name,
                          isLossFunction(layer.name) ? "loss" : "function"));
        continue;
      }
      auto [it, inserted] = byName_.try_emplace(layer.name, &layer);
      if (!inserted) {
        error(diags, layer, layer.nameSpan,
              fmt::format("layer '{}' is already defined at {}", layer.name,
                          where(*it->second, layer.file)));
        continue;
      }
      ordered_.push_back(&layer);
      checkDeclaration(layer, diags);
    }
  checkRecursion(diags);
}

const ast::LayerDecl *LayerTable::find(const std::string &name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

std::vector<std::string> LayerTable::names() const {
  std::vector<std::string> out;
  for (const auto &[name, layer] : byName_)
    out.push_back(name);
  return out;
}

void LayerTable::checkDeclaration(const ast::LayerDecl &layer, DiagnosticEngine &diags) {
  size_t before = diags.errors().size() + diags.droppedCount();
  auto fail = [&](const ast::Span &at, std::string message) {
    error(diags, layer, at, std::move(message));
  };
  // Parameters: distinct names, f32 types; they bind the named dimensions.
  std::set<std::string> params, dims;
  for (const ast::LayerParam &p : layer.params) {
    if (!params.insert(p.name).second)
      fail(p.nameSpan, fmt::format("layer '{}' has two parameters named '{}'", layer.name, p.name));
    if (p.type.elem != "f32")
      fail(p.type.elemSpan, fmt::format("a layer parameter is a tensor of real values; declare it "
                                        "as f32[...], not {}[...]",
                                        p.type.elem));
    for (size_t i = 0; i < p.type.dims.size(); ++i) {
      if (!p.type.dimNames[i].empty())
        dims.insert(p.type.dimNames[i]);
      else if (p.type.dims[i] <= 0)
        fail(p.type.dimSpans[i],
             fmt::format("a dimension must be positive, got {}", p.type.dims[i]));
    }
  }
  std::vector<std::string> bound(dims.begin(), dims.end());
  auto checkType = [&](const ast::TypeSpec &t, const char *what) {
    for (size_t i = 0; i < t.dims.size(); ++i) {
      const std::string &name = t.dimNames[i];
      if (name.empty() && t.dims[i] <= 0)
        fail(t.dimSpans[i], fmt::format("a dimension must be positive, got {}", t.dims[i]));
      else if (!name.empty() && !dims.count(name))
        fail(t.dimSpans[i],
             fmt::format("dimension '{}' of {} is not bound by a parameter of layer '{}'{}", name,
                         what, layer.name, support::didYouMean(name, bound)));
    }
  };
  if (layer.result.elem != "f32")
    fail(layer.result.elemSpan,
         fmt::format("a layer returns a tensor of real values; declare it as f32[...], not {}[...]",
                     layer.result.elem));
  checkType(layer.result, "the result");

  // Body: params, values, then one return.
  const ast::Stmt *ret = nullptr;
  for (const ast::Stmt &s : layer.body) {
    if (ret) {
      fail(s.span, fmt::format("this statement follows the return of layer '{}' at {}; the "
                               "return comes last",
                               layer.name, fmt::format("{}:{}", ret->span.line, ret->span.col)));
      break;
    }
    if (s.kind == ast::StmtKind::Return)
      ret = &s;
    else if (s.kind == ast::StmtKind::Param)
      checkType(s.type, fmt::format("param '{}'", s.name).c_str());
    else if (s.kind != ast::StmtKind::Value)
      fail(s.span, fmt::format("a layer cannot hold '{}' statements; it holds params, values "
                               "and a return",
                               statementKeyword(s.kind)));
  }
  if (!ret)
    fail(layer.nameSpan, fmt::format("layer '{}' has no return; end its body with 'return "
                                     "expression'",
                                     layer.name));
  if (diags.errors().size() + diags.droppedCount() != before)
    broken_.insert(&layer);
}

void LayerTable::checkRecursion(DiagnosticEngine &diags) {
  // Depth-first search over "calls" edges; a call of a layer on the current
  // path closes a cycle. Paths longer than kMaxPath are not followed (keeps
  // the stack bounded); lowering rejects such deep nesting anyway.
  constexpr size_t kMaxPath = 256;
  std::map<const ast::LayerDecl *, int> state; // 0 unvisited, 1 on path, 2 done
  std::vector<const ast::LayerDecl *> path;
  auto visit = [&](auto &self, const ast::LayerDecl *layer) -> void {
    state[layer] = 1;
    path.push_back(layer);
    std::vector<std::pair<std::string, ast::Span>> calls;
    for (const ast::Stmt &s : layer->body)
      if (s.value && s.kind != ast::StmtKind::Param)
        collectCalls(*s.value, calls);
    for (const auto &[name, span] : calls) {
      const ast::LayerDecl *callee = find(name);
      if (!callee)
        continue;
      if (state[callee] == 1) {
        std::string cycle;
        auto start = std::find(path.begin(), path.end(), callee);
        for (auto it = start; it != path.end(); ++it) {
          cycle += (*it)->name + " -> ";
          broken_.insert(*it);
        }
        error(diags, *layer, span,
              fmt::format("layer '{}' is recursive: {}{}; layers are inlined at each use, so "
                          "they cannot call themselves",
                          callee->name, cycle, callee->name));
      } else if (state[callee] == 0 && path.size() < kMaxPath) {
        self(self, callee);
      }
    }
    path.pop_back();
    state[layer] = 2;
  };
  for (const ast::LayerDecl *layer : ordered_)
    if (state[layer] == 0)
      visit(visit, layer);
}

} // namespace nnc::frontend
