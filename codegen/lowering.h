// State shared by the per-op lowerings while an ir::Graph becomes LLVM
// functions with the kernel ABI (bindings, batch, workspace): where each
// node's buffer lives and how to load, store and loop. One Lowering emits
// into one function. Private to codegen/.
#pragma once
#include "codegen/gemm.h"
#include "ir/fusion_group.h"
#include "ir/graph.h"

#include <functional>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>
#include <unordered_map>
#include <unordered_set>

namespace nnc::codegen {

/// Where a node's buffer is: an entry of the bindings table or a byte
/// offset into the workspace.
struct BufferAddress {
  enum Kind { Binding, Workspace } kind;
  int64_t index; // binding index or workspace byte offset
};
using AddressTable = std::unordered_map<const ir::Node *, BufferAddress>;

/// What lowerings know beyond buffer addresses: the target's GEMM config and
/// the workspace's GEMM scratch area (packing buffers, shared by all matmuls).
struct LoweringOptions {
  int64_t maxBatch = 1;
  GemmConfig gemm;           // default: portable scalar code
  int64_t gemmScratch = -1;  // workspace byte offset of the scratch area
  /// Transposes that are not computed: matmuls read their operands (gemm.h).
  const std::unordered_set<const ir::Node *> *readThrough = nullptr;
  /// Threads a parallelFor may use (1: every loop runs on the caller's thread).
  int threads = 1;
  /// A softmax cross-entropy and a later gradient of it (same logits and
  /// labels) -> the workspace byte offset where the loss kernel leaves each
  /// row's log-sum-exp for the gradient kernel.
  const std::unordered_map<const ir::Node *, int64_t> *logSumExpSlots = nullptr;
};

class Lowering {
public:
  /// `fn` has the kernel signature; buffers are found through `addresses`.
  Lowering(llvm::Module &m, llvm::Function *fn, const AddressTable &addresses,
           const LoweringOptions &options = {});
  const LoweringOptions &options() const { return options_; }

  llvm::LLVMContext &ctx() { return m_.getContext(); }
  llvm::Module &module() { return m_; }
  llvm::IRBuilder<> &b() { return b_; }

  llvm::Type *elemType(ir::DType t);
  /// A dimension as an i64 value (B becomes the run-time batch size).
  llvm::Value *dim(int64_t d);
  llvm::Value *numElements(const ir::Shape &s);
  llvm::Value *i64(int64_t v) { return b_.getInt64(v); }
  /// The constant v of element type t (an integer for i32).
  llvm::Value *fconst(ir::DType t, double v);

  /// Buffer of a node (binding, workspace slot); not for Constant/BatchSize.
  /// The pointer is computed once per function, in its entry block.
  llvm::Value *storage(const ir::Node *n);
  /// The workspace at a byte offset.
  llvm::Value *workspace(int64_t byteOffset);
  /// The GEMM scratch area (options().gemmScratch), rounded up to 64 bytes
  /// (the workspace may be less aligned; the area has 64 bytes of slack).
  llvm::Value *gemmScratch();
  /// Which part of parallelFor(count)'s split a body called with `first`
  /// runs: part q of P = min(threads, count) parts starts at count * q / P
  /// (runtime/parallel_for.h), so q = ceil(first * P / count). Indexes a
  /// per-thread buffer.
  llvm::Value *parallelPart(llvm::Value *first, llvm::Value *count);
  /// Element `index` of n (scalars: Constant and BatchSize are immediates).
  llvm::Value *load(const ir::Node *n, llvm::Value *index);
  void store(const ir::Node *n, llvm::Value *index, llvm::Value *v);
  llvm::Value *loadAt(llvm::Value *ptr, ir::DType t, llvm::Value *index);
  void storeAt(llvm::Value *ptr, ir::DType t, llvm::Value *index, llvm::Value *v);

  /// A stack slot in the function's entry block (safe to use inside loops).
  llvm::AllocaInst *entryAlloca(llvm::Type *t);
  /// for (i = 0; i < count; ++i) body(i)
  void loop(llvm::Value *count, const std::function<void(llvm::Value *)> &body);
  /// for (i = begin; i < end; ++i) body(i)
  void loop(llvm::Value *begin, llvm::Value *end, const std::function<void(llvm::Value *)> &body);
  /// body(begin, end) over ranges that split [0, count) across
  /// options().threads threads (runtime/parallel_for.h). The body is emitted
  /// into a task function of its own, so it must create every value it uses
  /// through this Lowering (storage, dim, workspace, load, ...), never use a
  /// llvm::Value of the code around the call; iterations must be independent.
  /// With one thread: body(0, count) in place.
  void parallelFor(llvm::Value *count,
                   const std::function<void(llvm::Value *begin, llvm::Value *end)> &body);
  /// Emits `body` at the end of `block`, a block of function `fn` whose
  /// first three arguments are the kernel ABI's (bindings, batch, workspace):
  /// storage(), dim(), load() ... work there as in the kernel. Returns the
  /// block where the body left off; the builder then goes back to where it was.
  llvm::BasicBlock *emitInto(llvm::Function *fn, llvm::BasicBlock *block,
                             const std::function<void()> &body);
  /// Makes storage(n) return `ptr` in the function being emitted.
  void seedStorage(const ir::Node *n, llvm::Value *ptr) { storage_[n] = ptr; }
  /// Entry k of a table of pointers passed as the function's first argument
  /// (instead of the bindings), loaded in its entry block.
  llvm::Value *tableEntry(int64_t k);
  /// The kernel ABI's arguments (bindings, batch, workspace) of the function
  /// being emitted (a kernel, or a task of parallelFor).
  std::vector<llvm::Value *> abiArgs() { return {fn_->getArg(0), fn_->getArg(1), fn_->getArg(2)}; }
  /// Nested loops over `dims`, outermost first; body gets one index per dim.
  void loopNest(const std::vector<llvm::Value *> &dims,
                const std::function<void(const std::vector<llvm::Value *> &)> &body);

  /// Row-major strides of `operand` when broadcast to `outShape` (0 where broadcast).
  std::vector<llvm::Value *> broadcastStrides(const ir::Shape &operand, const ir::Shape &outShape);
  /// Scalar math used by several lowerings.
  llvm::Value *scalarUnary(ir::OpKind k, llvm::Value *x);
  llvm::Value *scalarBinary(ir::OpKind k, llvm::Value *x, llvm::Value *y);
  llvm::Value *exp(llvm::Value *x);
  llvm::Value *log(llvm::Value *x);
  llvm::Value *maxnum(llvm::Value *x, llvm::Value *y);
  /// A call to a libm function of one argument (resolved by the JIT or the linker).
  llvm::Value *libm(const char *name, llvm::Value *x);

private:
  llvm::Module &m_;
  llvm::Function *fn_;
  llvm::IRBuilder<> b_;
  llvm::Value *batch_;
  const AddressTable &addresses_;
  LoweringOptions options_;
  std::unordered_map<const ir::Node *, llvm::Value *> storage_;
  std::unordered_map<int64_t, llvm::Value *> bindingPtr_; // by binding index
};

// Per-op lowerings (one file each family). Each writes node `n`'s buffer.
void lowerElementwise(Lowering &L, const ir::Node &n); // unary, binary, select, broadcast, reshape
/// A fused epilogue applied to each finished tile of a matmul's result while
/// it is in registers, inside the GEMM's micro-kernel (emitted there through
/// Lowering::emitInto): emit(i0, j0, mr, nv, tile, masks) gets the tile of
/// rows i0..i0+mr-1 and columns j0..j0+nv*lanes-1 as vectors, tile[r*nv + v]
/// (row i0+r, columns j0+v*lanes..), and for each the lanes that exist
/// (null: all). The tile is not stored to the matmul's buffer. `name` makes
/// the micro-kernels carrying it unique in the module.
struct TileEpilogue {
  std::string name;
  /// Builds, in the function being emitted, the table of pointers that is
  /// passed to the micro-kernel instead of the bindings (emit() then finds
  /// its buffers there through Lowering::seedStorage/tableEntry), so that
  /// groups with the same epilogue share micro-kernels. Null: the bindings.
  std::function<llvm::Value *()> table;
  std::function<void(llvm::Value *i0, llvm::Value *j0, int mr, int nv,
                     const std::vector<llvm::Value *> &tile, const std::vector<llvm::Value *> &masks)>
      emit;
};
/// `afterRow(i)`, if given, runs once row i of the result is final (a fused
/// epilogue); it must touch only row i's elements: rows may be split across
/// threads. With `tile` as well, the GEMM applies that instead where its
/// plan allows (generated micro-kernels, C not transposed back); afterRow
/// covers the rest.
void lowerMatMul(Lowering &L, const ir::Node &n,
                 const std::function<void(llvm::Value *row)> &afterRow = {},
                 const TileEpilogue *tile = nullptr);
void lowerTranspose(Lowering &L, const ir::Node &n);
/// conv2d on the GEMM's micro-kernels (lower_conv.cpp) where it applies (f32,
/// vector lanes, stride 1); false: it emitted nothing. With `tile`, the
/// epilogue runs on its tiles, rows i of the [B*F, OH*OW] view (image i / F,
/// channel i % F), and the result is not stored.
bool lowerConv2DFast(Lowering &L, const ir::Node &n, const TileEpilogue *tile = nullptr);
/// Its packing buffers (all threads), 0 where it does not apply.
int64_t convScratchBytes(const ir::Node &n, const GemmConfig &cfg, int threads);
/// conv2d_grad_input as W^T g and col2im (lower_conv_grad.cpp); false: not
/// applicable, nothing emitted. Its scratch bytes, 0 where it does not apply.
bool lowerConv2DGradInputFast(Lowering &L, const ir::Node &n);
int64_t convGradScratchBytes(const ir::Node &n, const GemmConfig &cfg, int threads);
/// max_pool2d / max_pool2d_grad with a 2x2 window, stride 2, no padding, f32,
/// vectorized (lower_pool.cpp; the same bits as lowerPool2D*); false: not
/// that case, nothing emitted.
bool lowerMaxPool2x2Fast(Lowering &L, const ir::Node &n);
/// conv2d_grad_filter as col g^T summed over images (lower_conv_grad.cpp).
bool lowerConv2DGradFilterFast(Lowering &L, const ir::Node &n);
int64_t convFilterScratchBytes(const ir::Node &n, const GemmConfig &cfg, int threads);
/// The filter gradient for a small C*KH*KW (conv_filter_dot.cpp), false if
/// it does not apply; its scratch bytes (0: does not apply).
bool lowerConv2DGradFilterDot(Lowering &L, const ir::Node &n);
int64_t convFilterDotScratchBytes(const ir::Node &n, const GemmConfig &cfg, int threads);
void lowerReduce(Lowering &L, const ir::Node &n);
void lowerConcat(Lowering &L, const ir::Node &n);
void lowerSlice(Lowering &L, const ir::Node &n);
void lowerDropoutMask(Lowering &L, const ir::Node &n);
void lowerSoftmax(Lowering &L, const ir::Node &n);
/// Window ops over NCHW images (lower_window.cpp, which gives each one's
/// formula, padding and NaN behaviour, and summation order).
void lowerConv2D(Lowering &L, const ir::Node &n);
void lowerConv2DGradInput(Lowering &L, const ir::Node &n);
void lowerConv2DGradFilter(Lowering &L, const ir::Node &n);
void lowerPool2D(Lowering &L, const ir::Node &n);     // max_pool2d, avg_pool2d
void lowerPool2DGrad(Lowering &L, const ir::Node &n); // max_pool2d_grad, avg_pool2d_grad
void lowerSoftmaxCrossEntropy(Lowering &L, const ir::Node &n);
void lowerSoftmaxCrossEntropyGrad(Lowering &L, const ir::Node &n);
/// A fusion group (ir/fusion_group.h) as one loop nest; `stored` are the
/// members read outside the group (they are written to memory).
void lowerFusionGroup(Lowering &L, const ir::FusionGroup &group,
                      const std::unordered_set<const ir::Node *> &stored);
/// The value of elementwise node `n` (unary, binary, select, broadcast) from
/// its operands' values.
llvm::Value *elementwiseValue(Lowering &L, const ir::Node &n, const std::vector<llvm::Value *> &args);
/// A shape of one element, read at index 0 whatever the result's shape.
bool isScalarLike(const ir::Shape &s);
/// Copies `count` elements of `src` into the buffer `dst`.
void lowerCopy(Lowering &L, const ir::Node *src, llvm::Value *dst, ir::DType t, llvm::Value *count);

} // namespace nnc::codegen
