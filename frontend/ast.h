// The syntax tree of a .nn file, built from the ANTLR parse tree
// (ast_builder.cpp) and consumed by lowering (lower.h). It holds what was
// written, with positions; names are not yet resolved and nothing is checked.
// Pipes are already desugared: `x -> dense(10)` is the call `dense(x, 10)`
// with `piped` set; its span covers the whole pipe, its opSpan the callee.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::frontend::ast {

/// A source range on one line: 1-based line and column, length in columns.
struct Span {
  int line = 0, col = 0;
  int length = 1;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// `value` or `keyword: value` in a call.
struct Arg {
  std::string keyword; // empty for a positional argument
  Span keywordSpan;
  ExprPtr value;
};

enum class ExprKind {
  Number, // 3, 0.5, 1e-3
  String, // "sepal length"
  Name,   // x
  List,   // [a, b]
  Call,   // f(a, k: b)
  Neg,    // -a
  Binary, // a + b, a - b, a * b, a / b, a @ b
};

struct Expr {
  ExprKind kind;
  Span span;   // the whole expression
  Span opSpan; // the operator token (Neg, Binary) or the callee name (Call)

  double number = 0;             // Number
  bool isInteger = false;        // Number: written without '.' or exponent
  std::optional<uint64_t> exact; // Number: an integer's exact value, if it fits uint64
  std::string text;              // Name and String: the text; Call: the callee
  char op = 0;                   // Binary: '+', '-', '*', '/' or '@'
  std::vector<ExprPtr> operands; // Neg: 1; Binary: 2; List: its elements
  std::vector<Arg> args;         // Call
  bool piped = false;            // Call: args[0] is the value piped in by `->`

  Expr() = default;
  Expr(Expr &&) = default;
  Expr &operator=(Expr &&) = default;
  ~Expr();
};

/// A chain (`a + b + ...`, `x -> f() -> g()`) is as deep as it is long: it is
/// freed through a worklist, not recursion, so that any length fits the stack.
inline Expr::~Expr() {
  std::vector<ExprPtr> pending;
  auto adopt = [&](Expr &e) {
    for (ExprPtr &op : e.operands)
      if (op)
        pending.push_back(std::move(op));
    for (Arg &a : e.args)
      if (a.value)
        pending.push_back(std::move(a.value));
  };
  adopt(*this);
  while (!pending.empty()) {
    ExprPtr e = std::move(pending.back());
    pending.pop_back();
    adopt(*e); // e is then freed with no children
  }
}

/// `f32[4, 16]`, `f32[]`, `class[3]`; in layer signatures also named
/// dimensions such as `f32[n, 4]`.
struct TypeSpec {
  std::string elem; // "f32", "class", ... (checked by lowering)
  Span elemSpan;
  std::vector<int64_t> dims;         // 0 where the dimension is named
  std::vector<std::string> dimNames; // "" where the dimension is an integer
  std::vector<Span> dimSpans;
  Span span;
  bool hasNamedDims() const {
    for (const std::string &n : dimNames)
      if (!n.empty())
        return true;
    return false;
  }
};

/// `key = value` in a `data` or `train` block.
struct BlockEntry {
  std::string key;
  Span keySpan;
  ExprPtr value;
};

enum class StmtKind {
  Input,  // input x: f32[4]
  Target, // target y: f32[1]
  Label,  // label y: class[3]
  Param,  // param W: f32[4, 16] = glorot_uniform()
  Value,  // h = expr
  Output, // output probs = expr
  Loss,   // loss mse(pred, y)
  Data,   // data { ... }
  Train,  // train { ... }
  Return, // return expr      (layers only)
};

struct Stmt {
  StmtKind kind;
  Span span;        // the leading keyword or name
  std::string name; // declared name (Input, Target, Label, Param, Value, Output)
  Span nameSpan;
  TypeSpec type; // Input, Target, Label, Param
  ExprPtr value; // Param: the initializer call; Value, Output, Loss, Return: the expression
  std::vector<BlockEntry> entries; // Data, Train
};

struct ModelDecl {
  std::string name;
  Span nameSpan;
  Span endSpan; // the closing '}'
  std::vector<Stmt> body;
};

/// `x: f32[n]` in a layer's signature.
struct LayerParam {
  std::string name;
  Span nameSpan;
  TypeSpec type;
};

/// `layer residual(x: f32[n]) -> f32[n] { ... return expr }`.
struct LayerDecl {
  std::string name;
  Span nameSpan;
  std::string file; // the file that defines it (spans are in this file)
  std::vector<LayerParam> params;
  TypeSpec result;
  std::vector<Stmt> body;
};

/// `import "layers.nn"`; `path` as written, relative to the importing file.
struct Import {
  std::string path;
  Span span; // the string literal
};

struct File {
  std::vector<Import> imports;
  std::vector<LayerDecl> layers;
  std::vector<ModelDecl> models;
};

} // namespace nnc::frontend::ast
