#include "codegen/loop_builder.h"

namespace nnc::codegen {

using namespace llvm;

void emitLoop(IRBuilder<> &b, Value *begin, Value *end, Value *step,
              const std::function<void(Value *)> &body) {
  Function *fn = b.GetInsertBlock()->getParent();
  LLVMContext &c = fn->getContext();
  BasicBlock *pre = b.GetInsertBlock();
  auto *head = BasicBlock::Create(c, "loop", fn);
  auto *bodyBB = BasicBlock::Create(c, "body", fn);
  auto *exit = BasicBlock::Create(c, "done", fn);
  b.CreateBr(head);
  b.SetInsertPoint(head);
  PHINode *i = b.CreatePHI(b.getInt64Ty(), 2, "i");
  i->addIncoming(begin, pre);
  b.CreateCondBr(b.CreateICmpSLT(i, end), bodyBB, exit);
  b.SetInsertPoint(bodyBB);
  body(i);
  i->addIncoming(b.CreateAdd(i, step, "", /*HasNUW=*/true, /*HasNSW=*/true), b.GetInsertBlock());
  b.CreateBr(head);
  b.SetInsertPoint(exit);
}

void emitIf(IRBuilder<> &b, Value *cond, const std::function<void()> &then) {
  Function *fn = b.GetInsertBlock()->getParent();
  LLVMContext &c = fn->getContext();
  auto *thenBB = BasicBlock::Create(c, "then", fn);
  auto *join = BasicBlock::Create(c, "join", fn);
  b.CreateCondBr(cond, thenBB, join);
  b.SetInsertPoint(thenBB);
  then();
  b.CreateBr(join);
  b.SetInsertPoint(join);
}

Value *lanesBelow(IRBuilder<> &b, int lanes, Value *first, Value *count) {
  std::vector<Constant *> index;
  for (int l = 0; l < lanes; ++l)
    index.push_back(b.getInt32(l));
  Value *rest = b.CreateTrunc(b.CreateSub(count, first), b.getInt32Ty());
  return b.CreateICmpSLT(ConstantVector::get(index), b.CreateVectorSplat(lanes, rest));
}

} // namespace nnc::codegen
