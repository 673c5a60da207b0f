// The .nn model language (see docs/language.md).
//
// A file holds top-level declarations: `import "file.nn"`, `layer NAME(...)
// -> type { ... }` and `model NAME { ... }`. Newlines are not significant:
// statements end where the next one begins. `;` after an import or a
// statement and `;`/`,` after a block entry are optional.
//
// Extending: new top-level forms go in `topLevel`; new statements in
// `modelItem` (which statement is allowed where, model or layer, is checked
// by the front end, for better messages); new builtins need no grammar
// change (they are calls). New keywords must also be added to `anyName`,
// so that they stay usable as block keys and names (as `label` is in
// `data { label = label }`), and to isKeyword() in
// frontend/syntax_errors.cpp (keywords are MODEL..RETURN, in order).
grammar NN;

@lexer::members {
  /// True when only blanks precede the '#' just matched on its line. The
  /// predicate follows the '#' (not at the rule's left edge, which would keep
  /// ANTLR from caching its DFA start state: a full ATN closure per token),
  /// and ANTLR evaluates it with the input just past the '#'.
  bool hashAtLineStart() {
    if (_input->LA(-1) != '#')
      return false;
    for (ssize_t i = -2;; --i) {
      size_t c = _input->LA(i);
      if (c == '\n' || c == '\r' || c == antlr4::IntStream::EOF)
        return true;
      if (c != ' ' && c != '\t')
        return false;
    }
  }
}

// ---------------------------------------------------------------- structure

file       : topLevel* EOF ;
topLevel   : importDecl | layerDecl | modelDecl ;
importDecl : 'import' path=STRING ';'? ;
modelDecl  : 'model' name=ID '{' (modelItem ';'?)* '}' ;

// layer residual(x: f32[n]) -> f32[n] { param W: f32[n, n] = he_normal() ... return expr }
layerDecl  : 'layer' name=ID '(' (layerParam (',' layerParam)* ','?)? ')'
             '->' result=typeSpec '{' (modelItem ';'?)* '}' ;
layerParam : name=ID ':' typeSpec ;

modelItem
  : kind=('input' | 'target' | 'label') name=ID ':' typeSpec  # DataInputDecl
  | 'param' name=ID ':' typeSpec '=' init=call                  # ParamDecl
  | 'output' name=ID '=' expr                                   # OutputDecl
  | 'loss' expr                                                 # LossDecl
  | kind=('data' | 'train') block                               # ConfigBlock
  | 'return' expr                                               # ReturnDecl
  | name=ID '=' expr                                            # ValueDecl
  ;

// f32[4], f32[4, 16], f32[] (a scalar), class[3]; in layers also named
// dimensions bound at each use: f32[n], f32[n, 2].
typeSpec  : elem=ID '[' (dim (',' dim)*)? ']' ;
dim       : INT | ID ;

// `data { ... }` and `train { ... }`: key = value entries. An entry that is a
// call, `early_stopping(patience: 5)`, is short for
// `early_stopping = early_stopping(patience: 5)`.
block     : '{' (entry (';' | ',')?)* '}' ;
entry     : key=entryKey '=' value=expr
          | setting=call
          ;
entryKey  : anyName ;
// Block keys and names in expressions may be keywords, which CSV columns and
// settings often are: `data { label = label }`, `early_stopping(monitor: loss)`.
// (No statement can continue an expression, so this is unambiguous.)
anyName   : ID | 'model' | 'input' | 'target' | 'label' | 'param' | 'output' | 'loss'
          | 'data' | 'train' | 'layer' | 'import' | 'return' ;

// ---------------------------------------------------------------- expressions
// Alternatives are listed from the tightest binding to the loosest. All binary
// operators are left-associative; `->` binds loosest, and its right side is a
// call whose first argument becomes the piped value.

expr
  : primary                                  # PrimaryExpr
  | op='-' expr                              # NegExpr
  | lhs=expr op=('*' | '/' | '@') rhs=expr   # MulExpr
  | lhs=expr op=('+' | '-') rhs=expr         # AddExpr
  | lhs=expr op='->' stage=call              # PipeExpr
  ;

primary
  : INT                                      # IntLiteral
  | FLOAT                                    # FloatLiteral
  | STRING                                   # StringLiteral
  | call                                     # CallExpr
  | anyName                                  # NameExpr
  | '(' expr ')'                             # ParenExpr
  | '[' (expr (',' expr)* ','?)? ']'         # ListExpr
  ;

call      : callee=ID '(' (arg (',' arg)* ','?)? ')' ;
arg       : (keyword=ID ':')? expr ;

// ---------------------------------------------------------------- tokens

MODEL   : 'model' ;
INPUT   : 'input' ;
TARGET  : 'target' ;
LABEL   : 'label' ;
PARAM   : 'param' ;
OUTPUT  : 'output' ;
LOSS    : 'loss' ;
DATA    : 'data' ;
TRAIN   : 'train' ;
LAYER   : 'layer' ;
IMPORT  : 'import' ;
RETURN  : 'return' ;

ARROW   : '->' ;
ID      : [a-zA-Z_] [a-zA-Z_0-9]* ;
INT     : DIGITS ;
FLOAT   : DIGITS '.' DIGITS? EXPONENT?
        | '.' DIGITS EXPONENT?
        | DIGITS EXPONENT
        ;
STRING  : '"' (~["\\\r\n] | '\\' .)* '"' ;

fragment DIGITS   : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;

BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
LINE_COMMENT  : '//' ~[\r\n]* -> skip ;
// `#` starts a comment only as the first non-blank character of a line.
HASH_COMMENT  : '#' {hashAtLineStart()}? ~[\r\n]* -> skip ;
WS            : [ \t\r\n\f]+ -> skip ;

// Malformed input becomes tokens that no parser rule accepts, so the parser
// reports them once, with a readable message (frontend/syntax_errors.cpp).
// Each matches a strict prefix of the well-formed token, so the well-formed
// token wins by longest match.
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* ;
UNTERMINATED_STRING  : '"' (~["\\\r\n] | '\\' .)* ;
BAD_CHARACTER        : . ;
