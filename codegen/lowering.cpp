#include "codegen/lowering.h"

#include "codegen/loop_builder.h"
#include "codegen/vector_math.h"

#include <llvm/IR/Intrinsics.h>

namespace nnc::codegen {

using namespace llvm;
using ir::OpKind;

Lowering::Lowering(Module &m, Function *fn, const AddressTable &addresses,
                   const LoweringOptions &options)
    : m_(m), fn_(fn), b_(m.getContext()), batch_(fn->getArg(1)), addresses_(addresses),
      options_(options) {
  if (fn->empty())
    BasicBlock::Create(m.getContext(), "entry", fn);
  b_.SetInsertPoint(&fn->getEntryBlock());
}

Value *Lowering::storage(const ir::Node *n) {
  auto cached = storage_.find(n);
  if (cached != storage_.end())
    return cached->second;
  const BufferAddress &a = addresses_.at(n);
  // One pointer per binding: an assign's value done in place shares its
  // target's binding, and one SSA pointer lets LLVM see that.
  if (a.kind == BufferAddress::Binding)
    if (auto same = bindingPtr_.find(a.index); same != bindingPtr_.end())
      return storage_[n] = same->second;
  BasicBlock &entry = fn_->getEntryBlock();
  IRBuilder<> eb(&entry, entry.begin());
  Type *ptr = PointerType::getUnqual(ctx());
  Value *p = a.kind == BufferAddress::Binding
                 ? (Value *)eb.CreateLoad(ptr, eb.CreateConstInBoundsGEP1_64(ptr, fn_->getArg(0), a.index))
                 : eb.CreateConstInBoundsGEP1_64(eb.getInt8Ty(), fn_->getArg(2), a.index);
  storage_[n] = p;
  if (a.kind == BufferAddress::Binding)
    bindingPtr_[a.index] = p;
  return p;
}

Value *Lowering::tableEntry(int64_t k) {
  BasicBlock &entry = fn_->getEntryBlock();
  IRBuilder<> eb(&entry, entry.begin());
  Type *ptr = PointerType::getUnqual(ctx());
  return eb.CreateLoad(ptr, eb.CreateConstInBoundsGEP1_64(ptr, fn_->getArg(0), k));
}

Value *Lowering::gemmScratch() {
  Value *base = workspace(options_.gemmScratch);
  Value *pad = b_.CreateAnd(b_.CreateNeg(b_.CreatePtrToInt(base, b_.getInt64Ty())), b_.getInt64(63));
  return b_.CreateInBoundsGEP(b_.getInt8Ty(), base, pad);
}

Value *Lowering::parallelPart(Value *first, Value *count) {
  Value *parts = b_.CreateBinaryIntrinsic(Intrinsic::smin, count, b_.getInt64(options_.threads));
  return b_.CreateSDiv(b_.CreateAdd(b_.CreateMul(first, parts), b_.CreateSub(count, b_.getInt64(1))), count);
}

Value *Lowering::workspace(int64_t byteOffset) {
  BasicBlock &entry = fn_->getEntryBlock();
  IRBuilder<> eb(&entry, entry.begin());
  return eb.CreateConstInBoundsGEP1_64(eb.getInt8Ty(), fn_->getArg(2), byteOffset);
}

Type *Lowering::elemType(ir::DType t) {
  switch (t) {
  case ir::DType::F32: return b_.getFloatTy();
  case ir::DType::F64: return b_.getDoubleTy();
  case ir::DType::I32: return b_.getInt32Ty();
  }
  return nullptr;
}

Value *Lowering::dim(int64_t d) { return d == ir::kBatch ? batch_ : i64(d); }

Value *Lowering::numElements(const ir::Shape &s) {
  Value *n = i64(1);
  for (int64_t d : s.dims)
    n = b_.CreateMul(n, dim(d));
  return n;
}

Value *Lowering::fconst(ir::DType t, double v) {
  if (t == ir::DType::I32) // class ids: a whole number in range (ir/node_type.cpp)
    return b_.getInt32(static_cast<int32_t>(v));
  return ConstantFP::get(elemType(t), v);
}

Value *Lowering::loadAt(Value *ptr, ir::DType t, Value *index) {
  Type *ty = elemType(t);
  return b_.CreateLoad(ty, b_.CreateInBoundsGEP(ty, ptr, index));
}

void Lowering::storeAt(Value *ptr, ir::DType t, Value *index, Value *v) {
  Type *ty = elemType(t);
  b_.CreateStore(v, b_.CreateInBoundsGEP(ty, ptr, index));
}

Value *Lowering::load(const ir::Node *n, Value *index) {
  if (n->kind == OpKind::Constant)
    return fconst(n->type.dtype, n->scalar);
  if (n->kind == OpKind::BatchSize)
    return n->type.dtype == ir::DType::I32 ? b_.CreateTrunc(batch_, b_.getInt32Ty())
                                           : b_.CreateSIToFP(batch_, elemType(n->type.dtype));
  return loadAt(storage(n), n->type.dtype, index);
}

void Lowering::store(const ir::Node *n, Value *index, Value *v) {
  storeAt(storage(n), n->type.dtype, index, v);
}

AllocaInst *Lowering::entryAlloca(Type *t) {
  BasicBlock &entry = fn_->getEntryBlock();
  IRBuilder<> eb(&entry, entry.begin());
  return eb.CreateAlloca(t);
}

void Lowering::loop(Value *count, const std::function<void(Value *)> &body) {
  loop(i64(0), count, body);
}

void Lowering::loop(Value *begin, Value *end, const std::function<void(Value *)> &body) {
  emitLoop(b_, begin, end, i64(1), body);
}

void Lowering::parallelFor(Value *count, const std::function<void(Value *, Value *)> &body) {
  if (options_.threads <= 1) {
    body(i64(0), count);
    return;
  }
  // The task: void(ptr bindings, i64 batch, ptr workspace, i64 begin, i64 end),
  // so storage() and dim() work in it as in the kernel function.
  Type *ptr = PointerType::getUnqual(ctx()), *i64t = b_.getInt64Ty();
  auto *taskTy = FunctionType::get(b_.getVoidTy(), {ptr, i64t, ptr, i64t, i64t}, false);
  Function *task = Function::Create(taskTy, Function::InternalLinkage,
                                    fn_->getName() + ".task", m_);
  task->setDoesNotThrow();
  task->getArg(2)->addAttr(Attribute::NoAlias);

  emitInto(task, BasicBlock::Create(ctx(), "entry", task), [&] {
    body(task->getArg(3), task->getArg(4));
    b_.CreateRetVoid();
  });

  FunctionCallee run = m_.getOrInsertFunction(
      "nnc_parallel_for", FunctionType::get(b_.getVoidTy(), {ptr, ptr, i64t, ptr, i64t, i64t}, false));
  b_.CreateCall(run, {task, fn_->getArg(0), fn_->getArg(1), fn_->getArg(2), count,
                      i64(options_.threads)});
}

BasicBlock *Lowering::emitInto(Function *fn, BasicBlock *block, const std::function<void()> &body) {
  Function *outerFn = fn_;
  Value *outerBatch = batch_;
  auto outerStorage = std::move(storage_);
  auto outerBindingPtr = std::move(bindingPtr_);
  IRBuilderBase::InsertPoint outerIP = b_.saveIP();
  fn_ = fn, batch_ = fn->getArg(1), storage_.clear(), bindingPtr_.clear();
  b_.SetInsertPoint(block);
  body();
  BasicBlock *end = b_.GetInsertBlock();
  fn_ = outerFn, batch_ = outerBatch, storage_ = std::move(outerStorage);
  bindingPtr_ = std::move(outerBindingPtr);
  b_.restoreIP(outerIP);
  return end;
}

void Lowering::loopNest(const std::vector<Value *> &dims,
                        const std::function<void(const std::vector<Value *> &)> &body) {
  std::vector<Value *> idx;
  std::function<void(size_t)> rec = [&](size_t level) {
    if (level == dims.size()) {
      body(idx);
      return;
    }
    loop(dims[level], [&](Value *i) {
      idx.push_back(i);
      rec(level + 1);
      idx.pop_back();
    });
  };
  rec(0);
}

std::vector<Value *> Lowering::broadcastStrides(const ir::Shape &operand, const ir::Shape &out) {
  size_t rank = out.rank(), lead = rank - operand.rank();
  std::vector<Value *> strides(rank, i64(0));
  Value *stride = i64(1);
  for (size_t i = rank; i-- > lead;) {
    int64_t d = operand.dims[i - lead];
    if (!(d == 1 && out.dims[i] != 1))
      strides[i] = stride;
    stride = b_.CreateMul(stride, dim(d));
  }
  return strides;
}

// f32: branch-free code the loop vectorizer widens (codegen/vector_math.h);
// f64: LLVM's intrinsics and libm.
Value *Lowering::exp(Value *x) {
  if (isVectorMathType(x->getType()))
    return emitExp(b_, x);
  return b_.CreateUnaryIntrinsic(Intrinsic::exp, x);
}
Value *Lowering::log(Value *x) {
  if (isVectorMathType(x->getType()))
    return emitLog(b_, x);
  return b_.CreateUnaryIntrinsic(Intrinsic::log, x);
}
Value *Lowering::maxnum(Value *x, Value *y) { return b_.CreateBinaryIntrinsic(Intrinsic::maxnum, x, y); }

Value *Lowering::libm(const char *name, Value *x) {
  Type *t = x->getType();
  FunctionCallee f = m_.getOrInsertFunction(name, FunctionType::get(t, {t}, false));
  if (auto *fn = dyn_cast<Function>(f.getCallee())) {
    fn->setDoesNotThrow();
    fn->setOnlyAccessesInaccessibleMemory(); // errno only
  }
  return b_.CreateCall(f, {x});
}

Value *Lowering::scalarUnary(OpKind k, Value *x) {
  Type *t = x->getType();
  Value *one = ConstantFP::get(t, 1.0), *zero = ConstantFP::get(t, 0.0);
  switch (k) {
  case OpKind::Neg: return b_.CreateFNeg(x);
  case OpKind::Exp: return exp(x);
  case OpKind::Log: return log(x);
  case OpKind::Sqrt: return b_.CreateUnaryIntrinsic(Intrinsic::sqrt, x);
  case OpKind::Relu: // x > 0 ? x : 0 (NaN propagates)
    return b_.CreateSelect(b_.CreateFCmpOLE(x, zero), zero, x);
  case OpKind::Sigmoid:
    if (isVectorMathType(t))
      return emitSigmoid(b_, x);
    return b_.CreateFDiv(one, b_.CreateFAdd(one, exp(b_.CreateFNeg(x))));
  case OpKind::Tanh: return isVectorMathType(t) ? emitTanh(b_, x) : libm("tanh", x);
  case OpKind::Erf: return isVectorMathType(t) ? emitErf(b_, x) : libm("erf", x);
  case OpKind::Abs: return b_.CreateUnaryIntrinsic(Intrinsic::fabs, x);
  case OpKind::Softplus: { // max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|
    Value *positive = b_.CreateBinaryIntrinsic(Intrinsic::maximum, x, zero);
    Value *tail = exp(b_.CreateFNeg(b_.CreateUnaryIntrinsic(Intrinsic::fabs, x)));
    return b_.CreateFAdd(positive, log(b_.CreateFAdd(one, tail)));
  }
  default: break;
  }
  assert(false && "not an elementwise unary op");
  return nullptr;
}

Value *Lowering::scalarBinary(OpKind k, Value *x, Value *y) {
  Type *t = x->getType();
  switch (k) {
  case OpKind::Add: return b_.CreateFAdd(x, y);
  case OpKind::Sub: return b_.CreateFSub(x, y);
  case OpKind::Mul: return b_.CreateFMul(x, y);
  case OpKind::Div: return b_.CreateFDiv(x, y);
  case OpKind::Pow: return b_.CreateBinaryIntrinsic(Intrinsic::pow, x, y);
  case OpKind::Greater:
    return b_.CreateSelect(b_.CreateFCmpOGT(x, y), ConstantFP::get(t, 1.0), ConstantFP::get(t, 0.0));
  case OpKind::Maximum: return b_.CreateBinaryIntrinsic(Intrinsic::maximum, x, y); // NaN-propagating
  case OpKind::Minimum: return b_.CreateBinaryIntrinsic(Intrinsic::minimum, x, y);
  default: break;
  }
  assert(false && "not an elementwise binary op");
  return nullptr;
}

void lowerCopy(Lowering &L, const ir::Node *src, Value *dst, ir::DType t, Value *count) {
  bool scalar = src->shape().numElements(1) == 1 && !src->shape().hasBatch();
  L.loop(count, [&](Value *i) { L.storeAt(dst, t, i, L.load(src, scalar ? L.i64(0) : i)); });
}

} // namespace nnc::codegen
