// Parser of the IR text form that ir/printer.h prints; print(parse(t)) == t
// for printed text. Grammar (EBNF; ';' starts a comment that runs to the end
// of the line; tokens in ir/text_lexer.h):
//
//   graph       = "graph" global "{" { statement } "}" ;
//   statement   = value "=" body ":" type      (* ops with a result *)
//               | body ;                      (* effects: assign, output *)
//   body        = op-name [ string ] [ initializer ] [ number ]
//                 [ value { "," value } ] { attribute } ;
//   initializer = init-name "(" [ number { "," number } ] ")" ;
//   attribute   = name [ "=" ( number | "[" [ number { "," number } ] "]" ) ] ;
//   type        = ( "f32" | "f64" | "i32" ) "[" [ dim { "," dim } ] "]" ;
//   dim         = positive-integer | "B" ;
//   value       = "%" ( word | string ) ;   (* %x, %7, %dense1.W, %"a b" *)
//   global      = "@" ( word | string ) ;
//   word        = [A-Za-z0-9_.]+ ;
//   string      = '"' { char | '\' hex hex | '\\' | '\"' } '"' ;   (* printed: \XX only *)
//
// What each op takes (operand counts from ops.def):
//   input "name" [classes=N]               param|state "name" init(args)
//   constant NUMBER                        batch_size
//   reduce_sum|reduce_max %x axes=[..] [keepdims]
//   concat %a, %b, .. axis=N               slice %x axis=N start=N
//   dropout_mask %step rate=R seed=N       assign %target, %v
//   output "name" %v                       every other op: its operands only
// Value labels are local to the text (%N need not equal N); input, param and
// state names come from their string. Negative axes are normalized. Each
// node's type is re-inferred (ir/node_type.h) and must equal the annotation;
// the whole graph is then verified (ir/verifier.h).
#pragma once
#include "ir/graph.h"

#include <memory>
#include <string>
#include <string_view>

namespace nnc::ir {

/// The graph, or null and `error` = "file:line:col: error: message" (the
/// first error only). Parsed nodes get their location in `fileName` as `loc`.
std::unique_ptr<Graph> parseGraph(std::string_view text, const std::string &fileName,
                                  std::string &error);

} // namespace nnc::ir
