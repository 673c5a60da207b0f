#include "codegen/lower_graph.h"

#include "codegen/lowering.h"

#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>
#include <stdexcept>

namespace nnc::codegen {

using namespace llvm;
using ir::OpKind;

namespace {

constexpr int64_t kAlign = 64;

bool hasWorkspaceSlot(OpKind k) {
  switch (k) {
  case OpKind::Input: case OpKind::Param: case OpKind::State: case OpKind::Constant:
  case OpKind::BatchSize: case OpKind::Assign: case OpKind::Output:
    return false;
  default:
    return true;
  }
}

void lowerNode(Lowering &L, const ir::Node &n) {
  switch (n.kind) {
  case OpKind::MatMul: return lowerMatMul(L, n);
  case OpKind::Transpose: return lowerTranspose(L, n);
  case OpKind::ReduceSum:
  case OpKind::ReduceMax: return lowerReduce(L, n);
  case OpKind::Softmax: return lowerSoftmax(L, n);
  case OpKind::SoftmaxCrossEntropy: return lowerSoftmaxCrossEntropy(L, n);
  case OpKind::SoftmaxCrossEntropyGrad: return lowerSoftmaxCrossEntropyGrad(L, n);
  case OpKind::Concat: return lowerConcat(L, n);
  case OpKind::Slice: return lowerSlice(L, n);
  case OpKind::DropoutMask: return lowerDropoutMask(L, n);
  case OpKind::Select:
  case OpKind::Broadcast:
  case OpKind::Reshape: return lowerElementwise(L, n);
  default:
    if (ir::isElementwiseUnary(n.kind) || ir::isElementwiseBinary(n.kind))
      return lowerElementwise(L, n);
    throw std::logic_error(std::string("codegen: no lowering for op ") + ir::opName(n.kind));
  }
}

} // namespace

KernelSignature lowerGraph(const ir::Graph &g, const std::string &symbol, int64_t maxBatch,
                           Module &m) {
  KernelSignature sig;
  sig.symbol = symbol;
  sig.maxBatch = maxBatch;

  LLVMContext &c = m.getContext();
  Type *ptr = PointerType::getUnqual(c);
  auto *fty = FunctionType::get(Type::getVoidTy(c), {ptr, Type::getInt64Ty(c), ptr}, false);
  Function *fn = Function::Create(fty, Function::ExternalLinkage, symbol, m);
  fn->setDoesNotThrow();
  Argument *bindings = fn->getArg(0), *batch = fn->getArg(1), *workspace = fn->getArg(2);
  bindings->setName("bindings");
  batch->setName("batch");
  workspace->setName("workspace");
  workspace->addAttr(Attribute::NoAlias);
  BasicBlock::Create(c, "entry", fn);

  Lowering L(m, fn, batch);
  auto &b = L.b();
  b.SetInsertPoint(&fn->getEntryBlock());

  auto bind = [&](Binding::Role role, const ir::Node &n, const ir::Node &valueNode) {
    int index = (int)sig.bindings.size();
    sig.bindings.push_back({role, n.name, valueNode.type});
    Value *slot = b.CreateConstInBoundsGEP1_64(ptr, bindings, index);
    return b.CreateLoad(ptr, slot, n.name);
  };

  std::vector<std::pair<const ir::Node *, Value *>> outputs;
  for (auto &up : g.nodes()) {
    const ir::Node &n = *up;
    switch (n.kind) {
    case OpKind::Input: L.setStorage(&n, bind(Binding::Input, n, n)); break;
    case OpKind::Param: L.setStorage(&n, bind(Binding::Param, n, n)); break;
    case OpKind::State: L.setStorage(&n, bind(Binding::State, n, n)); break;
    case OpKind::Output: outputs.push_back({&n, bind(Binding::Output, n, *n.operand(0))}); break;
    default:
      if (hasWorkspaceSlot(n.kind)) {
        int64_t bytes = n.shape().numElements(maxBatch) * ir::dtypeBytes(n.type.dtype);
        L.setStorage(&n, b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), workspace, sig.workspaceBytes));
        sig.workspaceBytes += (bytes + kAlign - 1) / kAlign * kAlign;
      }
    }
  }

  for (auto &up : g.nodes())
    if (hasWorkspaceSlot(up->kind))
      lowerNode(L, *up);

  // Effects: outputs, then parameter and state updates (all reads are done).
  for (auto [n, dst] : outputs) {
    const ir::Node *v = n->operand(0);
    lowerCopy(L, v, dst, v->type.dtype, L.numElements(v->shape()));
  }
  for (auto &up : g.nodes())
    if (up->kind == OpKind::Assign) {
      const ir::Node *target = up->operand(0), *v = up->operand(1);
      lowerCopy(L, v, L.storage(target), v->type.dtype, L.numElements(v->shape()));
    }
  b.CreateRetVoid();

  std::string err;
  raw_string_ostream os(err);
  if (verifyFunction(*fn, &os))
    throw std::logic_error("codegen produced invalid LLVM IR for " + symbol + ": " + os.str());
  return sig;
}

} // namespace nnc::codegen
