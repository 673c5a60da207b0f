// The graph IR: a list of SSA nodes in topological order. Each node is one
// primitive tensor op producing one value (or an effect: assign, output).
// Nodes are owned by their Graph; operands point at earlier nodes.
#pragma once
#include "ir/types.h"

#include <memory>
#include <string>
#include <vector>

namespace nnc::ir {

enum class OpKind {
#define NNC_OP(E, name, arity) E,
#include "ir/ops.def"
};

const char *opName(OpKind k);
/// Operand count of `k`, or -1 if variable.
int opArity(OpKind k);
bool isElementwiseUnary(OpKind k);
bool isElementwiseBinary(OpKind k);
/// Ops computed by a kernel: all but the leaves (input, param, state,
/// constant, batch_size) and the effects (assign, output).
bool hasKernel(OpKind k);

/// Where a node came from in the model source; line 0 means unknown.
struct SourceLoc {
  std::string file;
  int line = 0, col = 0;
};

/// A window op's geometry (conv2d, pooling; ops.def): window kh x kw (for a
/// convolution, the filter's), stride, and zero padding added before (top,
/// left) and after (bottom, right) each spatial axis. Output extent along H:
/// (H + top + bottom - kh) / sh + 1, rounded down (PyTorch, Keras).
struct Window2D {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1;
  int64_t top = 0, left = 0, bottom = 0, right = 0;
  bool operator==(const Window2D &) const = default;
};

/// How a parameter or optimizer state is filled before training.
struct Initializer {
  enum Kind { Zeros, Ones, Constant, Uniform, Normal, GlorotUniform, GlorotNormal, HeUniform, HeNormal };
  Kind kind = Zeros;
  double a = 0, b = 0; // constant value; uniform lo/hi; normal mean/std
  std::string str() const;
};

struct Node {
  int id = 0;
  OpKind kind;
  TensorType type;
  std::vector<struct Node *> operands;
  std::string name;          // input/param/state/output name; printed as %name
  double scalar = 0;         // Constant value (a splat over the node's shape)
  int64_t classes = 0;       // Input of class ids: number of classes
  std::vector<int64_t> axes; // ReduceSum/ReduceMax axes; Concat/Slice axis
  bool keepdims = false;
  int64_t start = 0;         // Slice: first index along the axis
  uint64_t seed = 0;         // DropoutMask: per-op seed (rate is `scalar`)
  Window2D win;              // window ops (conv2d, pooling and their gradients)
  Initializer init;          // Param/State
  int group = 0;             // fusion group (ir/passes/fuse.cpp); 0: a kernel of its own
  SourceLoc loc;

  Node *operand(size_t i) const { return operands[i]; }
  const Shape &shape() const { return type.shape; }
};

class Graph {
public:
  explicit Graph(std::string name = "model") : name_(std::move(name)) {}
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;

  const std::string &name() const { return name_; }
  void setName(std::string n) { name_ = std::move(n); }

  /// Appends a node; `type` must already be inferred (see Builder).
  Node *append(OpKind kind, TensorType type, std::vector<Node *> operands);
  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }

  std::vector<Node *> nodesOfKind(OpKind k) const;
  Node *findNamed(OpKind k, const std::string &name) const;
  /// The scalar loss value (operand of the Output named "loss"), or null.
  Node *loss() const;

  /// Deep copy with the same ids and attributes.
  std::unique_ptr<Graph> clone() const;
  /// Removes every Output except the one named `keep`.
  void dropOutputsExcept(const std::string &keep);
  /// Removes the Output named `name`, if any.
  void dropOutput(const std::string &name);
  /// Removes nodes not reachable from effects (assign/output); renumbers ids.
  /// Inputs, params and states (the kernel's interface) are kept unless
  /// `keepInterface` is false.
  void eraseDeadNodes(bool keepInterface = true);

  /// Makes every operand that is `from` point at `to` instead (same type expected).
  void replaceAllUsesWith(Node *from, Node *to);
  /// Inserts a new node right before `pos` (type already inferred).
  Node *insertBefore(const Node *pos, OpKind kind, TensorType type, std::vector<Node *> operands);
  /// Puts the nodes in `order` (a permutation of nodes(), operands first).
  void reorder(const std::vector<Node *> &order);
  /// How many nodes read `n` (operands of other nodes, counted per use).
  int useCount(const Node *n) const;
  /// Removes the nodes in `dead`, which no remaining node may read; the
  /// others keep their order and ids.
  void erase(const std::vector<const Node *> &dead);

private:
  std::string name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  int nextId_ = 0;
};

} // namespace nnc::ir
