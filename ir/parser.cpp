#include "ir/parser.h"

#include "ir/node_type.h"
#include "ir/printer.h"
#include "ir/text_lexer.h"
#include "ir/verifier.h"
#include "support/spelling.h"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <map>
#include <unordered_map>

namespace nnc::ir {

namespace {

struct ParseError {
  int line, col;
  std::string message;
};

struct InitializerSpec {
  const char *name;
  Initializer::Kind kind;
  int args;
};

constexpr InitializerSpec kInitializers[] = {
    {"zeros", Initializer::Zeros, 0},
    {"ones", Initializer::Ones, 0},
    {"constant", Initializer::Constant, 1},
    {"uniform", Initializer::Uniform, 2},
    {"normal", Initializer::Normal, 2},
    {"glorot_uniform", Initializer::GlorotUniform, 0},
    {"glorot_normal", Initializer::GlorotNormal, 0},
    {"he_uniform", Initializer::HeUniform, 0},
    {"he_normal", Initializer::HeNormal, 0},
};

/// The attributes an op accepts after its operands; `required` unless a flag
/// or input's classes.
std::vector<std::string> allowedAttributes(OpKind k) {
  switch (k) {
  case OpKind::Input:
    return {"classes"};
  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
    return {"axes", "keepdims"};
  case OpKind::Concat:
    return {"axis"};
  case OpKind::Slice:
    return {"axis", "start"};
  case OpKind::DropoutMask:
    return {"rate", "seed"};
  case OpKind::Conv2D:
  case OpKind::Conv2DGradInput:
  case OpKind::Conv2DGradFilter:
    return {"stride", "pad"};
  case OpKind::MaxPool2D:
  case OpKind::MaxPool2DGrad:
  case OpKind::AvgPool2D:
  case OpKind::AvgPool2DGrad:
    return {"window", "stride", "pad"};
  default:
    return {};
  }
}

bool isEffect(OpKind k) { return k == OpKind::Assign || k == OpKind::Output; }
bool isLeaf(OpKind k) { return opArity(k) == 0; }

/// The fields of a node as read from one statement, before it is appended.
struct Statement {
  OpKind kind = OpKind::Input;
  Token opTok;
  std::vector<Node *> operands;
  std::string name;
  Initializer init;
  double scalar = 0;
  int64_t classes = 0, start = 0;
  std::vector<int64_t> axes;
  bool keepdims = false;
  uint64_t seed = 0;
  Window2D win;
  int group = 0;
  TensorType type = TensorType::voidType();
  Token typeTok;
};

class Parser {
public:
  Parser(std::string_view text, const std::string &file) : lex_(text), file_(file) {
#define NNC_OP(E, name, arity)                                                                     \
  ops_[name] = OpKind::E;                                                                          \
  opNames_.push_back(name);
#include "ir/ops.def"
    advance();
  }

  std::unique_ptr<Graph> parse() {
    expectKeyword("graph");
    Token name = expect(Token::Global, "the graph name");
    g_ = std::make_unique<Graph>(name.text);
    expect(Token::LBrace, "'{' to open the graph");
    while (tok_.kind != Token::RBrace) {
      if (tok_.kind == Token::Eof)
        error(tok_, "expected '}' to close the graph");
      parseStatement();
    }
    advance();
    if (tok_.kind != Token::Eof)
      error(tok_, fmt::format("expected end of input after the graph, got {}", describe(tok_)));
    VerifierFailure f = findFirstBrokenInvariant(*g_);
    if (f.node)
      throw ParseError{f.node->loc.line, f.node->loc.col, f.what};
    return std::move(g_);
  }

private:
  [[noreturn]] void error(const Token &at, std::string message) {
    throw ParseError{at.line, at.col, std::move(message)};
  }

  void advance() {
    tok_ = lex_.next();
    if (tok_.kind == Token::Error)
      error(tok_, tok_.text);
  }

  static std::string describe(const Token &t) {
    switch (t.kind) {
    case Token::Eof:
      return "end of input";
    case Token::String:
      return quoteString(t.text);
    case Token::Value:
      return "%" + (t.quoted ? quoteString(t.text) : t.text);
    case Token::Global:
      return "@" + (t.quoted ? quoteString(t.text) : t.text);
    default:
      return "'" + t.text + "'";
    }
  }

  Token expect(Token::Kind k, const std::string &what) {
    if (tok_.kind != k)
      error(tok_, fmt::format("expected {}, got {}", what, describe(tok_)));
    Token t = tok_;
    advance();
    return t;
  }

  void expectKeyword(const char *word) {
    if (tok_.kind != Token::Ident || tok_.text != word)
      error(tok_, fmt::format("expected '{}', got {}", word, describe(tok_)));
    advance();
  }

  // --- Numbers -------------------------------------------------------------

  /// Reads the current token as a T if it is one, to its last character;
  /// an out-of-range value is an error, anything else returns false.
  template <typename T> bool readNumber(const Token &t, const std::string &what, T &v) {
    auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec == std::errc::result_out_of_range)
      error(t, fmt::format("{} {} is out of range", what, t.text));
    if (ec != std::errc() || end != t.text.data() + t.text.size())
      return false;
    advance();
    return true;
  }

  template <typename Int> Int parseInteger(const std::string &what) {
    Token t = tok_;
    Int v{};
    if (t.kind == Token::Number && readNumber(t, what, v))
      return v;
    error(t, fmt::format("expected an integer for {}, got {}", what, describe(t)));
  }

  double parseDouble(const std::string &what) {
    Token t = tok_;
    bool word = t.kind == Token::Ident && (t.text == "inf" || t.text == "nan");
    double v = 0;
    if ((t.kind == Token::Number || word) && readNumber(t, what, v))
      return v;
    error(t, fmt::format("expected a number for {}, got {}", what, describe(t)));
  }

  // --- Types ---------------------------------------------------------------

  TensorType parseType() {
    Token t = expect(Token::Ident, "an element type (f32, f64, i32)");
    TensorType type;
    if (t.text == "f32")
      type.dtype = DType::F32;
    else if (t.text == "f64")
      type.dtype = DType::F64;
    else if (t.text == "i32")
      type.dtype = DType::I32;
    else
      error(t, fmt::format("unknown element type '{}'; expected f32, f64 or i32", t.text));
    expect(Token::LBracket, "'[' and the shape");
    int64_t elements = 1;
    while (tok_.kind != Token::RBracket) {
      if (!type.shape.dims.empty())
        expect(Token::Comma, "',' or ']'");
      Token d = tok_;
      int64_t dim = kBatch;
      if (d.kind == Token::Ident && d.text == "B")
        advance();
      else if ((dim = parseInteger<int64_t>("a dimension")) < 1)
        error(d, fmt::format("dimension {} must be positive (or B)", dim));
      if (dim != kBatch && __builtin_mul_overflow(elements, dim, &elements))
        error(d, "the tensor has too many elements");
      type.shape.dims.push_back(dim);
    }
    advance();
    return type;
  }

  // --- Values --------------------------------------------------------------

  static std::string labelKey(const Token &t) {
    return t.quoted && !isBareName(t.text) ? "\"" + t.text : t.text;
  }

  Node *parseOperand() {
    Token t = expect(Token::Value, "an operand (%name)");
    auto it = values_.find(labelKey(t));
    if (it == values_.end())
      error(t, fmt::format("use of undefined value {}", describe(t)));
    return it->second;
  }

  // --- Statements ----------------------------------------------------------

  void parseStatement() {
    Token start = tok_;
    bool hasLabel = tok_.kind == Token::Value;
    if (hasLabel) {
      if (values_.count(labelKey(start)))
        error(start, fmt::format("redefinition of value {}", describe(start)));
      advance();
      expect(Token::Equal, "'=' after the value name");
    }
    Statement s;
    s.opTok = tok_;
    if (tok_.kind != Token::Ident)
      error(tok_, fmt::format("expected {}, got {}", hasLabel ? "an op name" : "a statement",
                              describe(tok_)));
    auto op = ops_.find(tok_.text);
    if (op == ops_.end())
      error(tok_,
            fmt::format("unknown op '{}'{}", tok_.text, support::didYouMean(tok_.text, opNames_)));
    s.kind = op->second;
    if (isEffect(s.kind) && hasLabel)
      error(start, fmt::format("'{}' has no result to name", opName(s.kind)));
    if (!isEffect(s.kind) && !hasLabel)
      error(s.opTok,
            fmt::format("'{}' has a result: write %name = {} ...", opName(s.kind), opName(s.kind)));
    advance();
    parseBody(s);
    if (!isEffect(s.kind)) {
      expect(Token::Colon, "':' and the result type");
      s.typeTok = tok_;
      s.type = parseType();
    }
    Node *n = append(s, start);
    if (hasLabel)
      values_[labelKey(start)] = n;
  }

  void parseBody(Statement &s) {
    OpKind k = s.kind;
    if (k == OpKind::Input || k == OpKind::Param || k == OpKind::State || k == OpKind::Output)
      s.name = expect(Token::String, fmt::format("the name of the {} as a string", opName(k))).text;
    if (k == OpKind::Param || k == OpKind::State)
      s.init = parseInitializer();
    if (k == OpKind::Constant)
      s.scalar = parseDouble("the constant");
    if (tok_.kind == Token::Value) {
      s.operands.push_back(parseOperand());
      while (tok_.kind == Token::Comma) {
        advance();
        s.operands.push_back(parseOperand());
      }
    }
    int arity = opArity(k);
    if (arity >= 0 && (int)s.operands.size() != arity)
      error(s.opTok, fmt::format("'{}' takes {} operand{}, got {}", opName(k), arity,
                                 arity == 1 ? "" : "s", s.operands.size()));
    if (arity < 0 && s.operands.empty())
      error(s.opTok, fmt::format("'{}' takes at least one operand", opName(k)));
    if (!isEffect(k))
      parseAttributes(s);
  }

  Initializer parseInitializer() {
    Token t = expect(Token::Ident, "an initializer such as zeros()");
    const InitializerSpec *spec = nullptr;
    std::vector<std::string> names;
    for (const InitializerSpec &i : kInitializers) {
      names.emplace_back(i.name);
      if (t.text == i.name)
        spec = &i;
    }
    if (!spec)
      error(t,
            fmt::format("unknown initializer '{}'{}", t.text, support::didYouMean(t.text, names)));
    expect(Token::LParen, fmt::format("'(' after '{}'", t.text));
    std::vector<double> args;
    while (tok_.kind != Token::RParen) {
      if (!args.empty())
        expect(Token::Comma, "',' or ')'");
      args.push_back(parseDouble(fmt::format("an argument of {}", t.text)));
    }
    advance();
    if ((int)args.size() != spec->args)
      error(t, fmt::format("'{}' takes {} argument{}, got {}", t.text, spec->args,
                           spec->args == 1 ? "" : "s", args.size()));
    Initializer init{spec->kind};
    init.a = args.size() > 0 ? args[0] : 0;
    init.b = args.size() > 1 ? args[1] : 0;
    return init;
  }

  void parseAttributes(Statement &s) {
    std::vector<std::string> allowed = allowedAttributes(s.kind);
    if (!isLeaf(s.kind) && !isEffect(s.kind))
      allowed.push_back("group"); // fusion group, ir/passes/fuse.cpp
    std::map<std::string, Token> seen;
    while (tok_.kind == Token::Ident) {
      Token a = tok_;
      if (std::find(allowed.begin(), allowed.end(), a.text) == allowed.end())
        error(a, fmt::format("unknown attribute '{}' for '{}'{}", a.text, opName(s.kind),
                             support::didYouMean(a.text, allowed)));
      if (!seen.emplace(a.text, a).second)
        error(a, fmt::format("attribute '{}' is given twice", a.text));
      advance();
      if (a.text == "keepdims") {
        s.keepdims = true;
        continue;
      }
      expect(Token::Equal, fmt::format("'=' after '{}'", a.text));
      if (a.text == "classes")
        s.classes = parseInteger<int64_t>("classes");
      else if (a.text == "axis")
        s.axes = {parseInteger<int64_t>("axis")};
      else if (a.text == "start")
        s.start = parseInteger<int64_t>("start");
      else if (a.text == "rate")
        s.scalar = parseDouble("rate");
      else if (a.text == "seed")
        s.seed = parseInteger<uint64_t>("seed");
      else if (a.text == "axes")
        s.axes = parseIntList("axes");
      else if (a.text == "group")
        s.group = parseInteger<int>("group");
      else if (a.text == "window") {
        std::vector<int64_t> v = parseFixedList("window", 2);
        s.win.kh = v[0], s.win.kw = v[1];
      } else if (a.text == "stride") {
        std::vector<int64_t> v = parseFixedList("stride", 2);
        s.win.sh = v[0], s.win.sw = v[1];
      } else if (a.text == "pad") {
        std::vector<int64_t> v = parseFixedList("pad", 4);
        s.win.top = v[0], s.win.left = v[1], s.win.bottom = v[2], s.win.right = v[3];
      }
    }
    for (const std::string &a : allowed)
      if (!seen.count(a) && a != "keepdims" && a != "classes" && a != "group")
        error(s.opTok, fmt::format("'{}' needs the attribute '{}'", opName(s.kind), a));
  }

  /// [a,b] or [a,b,c,d]: exactly n integers.
  std::vector<int64_t> parseFixedList(const std::string &what, size_t n) {
    Token at = tok_;
    std::vector<int64_t> v = parseIntList(what);
    if (v.size() != n)
      error(at, fmt::format("'{}' needs {} integers, got {}", what, n, v.size()));
    return v;
  }

  std::vector<int64_t> parseIntList(const std::string &what) {
    expect(Token::LBracket, fmt::format("'[' to start the {} list", what));
    std::vector<int64_t> v;
    while (tok_.kind != Token::RBracket) {
      if (!v.empty())
        expect(Token::Comma, "',' or ']'");
      v.push_back(parseInteger<int64_t>(what));
    }
    advance();
    return v;
  }

  /// Negative axes count from the end; reduction axes are sorted.
  static void normalizeAxes(Statement &s) {
    bool reduce = s.kind == OpKind::ReduceSum || s.kind == OpKind::ReduceMax;
    if (!reduce && s.kind != OpKind::Concat && s.kind != OpKind::Slice)
      return;
    auto rank = (int64_t)s.operands[0]->shape().rank();
    for (int64_t &ax : s.axes)
      if (ax < 0 && ax >= -rank)
        ax += rank;
    if (reduce)
      std::sort(s.axes.begin(), s.axes.end());
  }

  Node *append(Statement &s, const Token &start) {
    normalizeAxes(s);
    Node *n = g_->append(s.kind, s.type, s.operands);
    n->name = s.name;
    n->init = s.init;
    n->scalar = s.scalar;
    n->classes = s.classes;
    n->axes = s.axes;
    n->keepdims = s.keepdims;
    n->start = s.start;
    n->seed = s.seed;
    n->win = s.win;
    // A convolution's window is its filter's.
    const Node *filter = s.kind == OpKind::Conv2D || s.kind == OpKind::Conv2DGradInput ? s.operands[1] : nullptr;
    const Shape &fs = filter ? filter->shape() : s.type.shape;
    if ((filter || s.kind == OpKind::Conv2DGradFilter) && fs.rank() == 4)
      n->win.kh = fs.dims[2], n->win.kw = fs.dims[3];
    n->group = s.group;
    n->loc = {file_, start.line, start.col};
    TypeOrError r = inferNodeType(*n);
    if (!r.ok())
      error(s.opTok, r.error);
    if (r.type != n->type)
      error(s.typeTok, fmt::format("type {} disagrees with the type {} inferred for '{}'",
                                   n->type.str(), r.type.str(), opName(n->kind)));
    return n;
  }

  TextLexer lex_;
  std::string file_;
  Token tok_;
  std::unique_ptr<Graph> g_;
  std::unordered_map<std::string, Node *> values_;
  std::unordered_map<std::string, OpKind> ops_;
  std::vector<std::string> opNames_;
};

} // namespace

std::unique_ptr<Graph> parseGraph(std::string_view text, const std::string &fileName,
                                  std::string &error) {
  try {
    Parser p(text, fileName);
    std::unique_ptr<Graph> g = p.parse();
    error.clear();
    return g;
  } catch (const ParseError &e) {
    error = fmt::format("{}:{}:{}: error: {}", fileName, e.line, e.col, e.message);
    return nullptr;
  }
}

} // namespace nnc::ir
