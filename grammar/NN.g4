// The .nn model language (see docs/language.md).
//
// A file holds top-level declarations; today only `model NAME { ... }`.
// Newlines are not significant: statements end where the next one begins.
// `;` after a model item and `;`/`,` after a block entry are optional.
//
// Extending: new top-level forms (`layer`, `import`) go in `topLevel`; new
// model statements in `modelItem`; new builtins need no grammar change (they
// are calls). New keywords must also be added to `entryKey` when they may be
// used as a block key (as `label` is in `data { label = species }`).
grammar NN;

@lexer::members {
  /// True when only blanks precede the next character on its line.
  bool atLineStart() {
    for (ssize_t i = -1;; --i) {
      size_t c = _input->LA(i);
      if (c == '\n' || c == '\r' || c == antlr4::IntStream::EOF)
        return true;
      if (c != ' ' && c != '\t')
        return false;
    }
  }
}

// ---------------------------------------------------------------- structure

file      : topLevel* EOF ;
topLevel  : modelDecl ;
modelDecl : 'model' name=ID '{' (modelItem ';'?)* '}' ;

modelItem
  : kind=('input' | 'target' | 'label') name=ID ':' typeSpec  # DataInputDecl
  | 'param' name=ID ':' typeSpec '=' init=call                  # ParamDecl
  | 'output' name=ID '=' expr                                   # OutputDecl
  | 'loss' expr                                                 # LossDecl
  | kind=('data' | 'train') block                               # ConfigBlock
  | name=ID '=' expr                                            # ValueDecl
  ;

// f32[4], f32[4, 16], f32[] (a scalar), class[3]
typeSpec  : elem=ID '[' (INT (',' INT)*)? ']' ;

// `data { ... }` and `train { ... }`: key = value entries.
block     : '{' (entry (';' | ',')?)* '}' ;
entry     : key=entryKey '=' value=expr ;
entryKey  : ID | 'label' | 'input' | 'target' | 'param' | 'output' | 'loss'
          | 'data' | 'train' | 'model' ;

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
  | ID                                       # NameExpr
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
HASH_COMMENT  : {atLineStart()}? '#' ~[\r\n]* -> skip ;
WS            : [ \t\r\n\f]+ -> skip ;

// Malformed input becomes tokens that no parser rule accepts, so the parser
// reports them once, with a readable message (frontend/syntax_errors.cpp).
// Each matches a strict prefix of the well-formed token, so the well-formed
// token wins by longest match.
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* ;
UNTERMINATED_STRING  : '"' (~["\\\r\n] | '\\' .)* ;
BAD_CHARACTER        : . ;
