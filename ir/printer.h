// Textual form of the graph IR: what `nnc --emit=ir` and nnc-opt print, what
// ir/parser.h reads back (the grammar is in parser.h), what lit tests check.
//   graph @iris {
//     %x = input "x" : f32[B,4]
//     %4 = matmul %x, %dense1.W : f32[B,10]
//     output "loss" %16
//   }
// The form is canonical, so print(parse(text)) == text for printed text:
// inputs, params and states are labelled %<their name> (quoted as %"..." when
// not a bare name, %N when the label is taken); every other value is %N, N
// being its position among the nodes that have a result (effects, i.e.
// assign and output, are not counted). Every attribute is printed, doubles
// in the shortest form that reads back to the same bits.
#pragma once
#include "ir/graph.h"

#include <string>
#include <string_view>
#include <unordered_map>

namespace nnc::ir {

/// The canonical labels of a graph's values.
class ValueNames {
public:
  explicit ValueNames(const Graph &g);
  /// "%x", "%dense1.W", "%\"a b\"", "%7"; "%?" for a node not in the graph.
  std::string operator()(const Node *n) const;

private:
  std::unordered_map<const Node *, std::string> labels_;
};

std::string printGraph(const Graph &g);
/// One node without indentation or newline: "%5 = add %3, %4 : f32[B,3]".
std::string printNode(const Node &n, const ValueNames &names);
/// `s` as a double-quoted string; '"', '\' and bytes outside 0x20..0x7e are
/// written as \XX (two hex digits), like LLVM.
std::string quoteString(std::string_view s);
/// True if `s` can be written without quotes after % or @: [A-Za-z_][A-Za-z0-9_.]*.
bool isBareName(std::string_view s);
/// "%name" for named leaves, "%id" otherwise: for messages about a single
/// node without its graph (printGraph numbers values by position instead).
std::string valueName(const Node *n);

} // namespace nnc::ir
