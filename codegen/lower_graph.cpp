#include "codegen/lower_graph.h"

#include "codegen/buffer_plan.h"
#include "codegen/lowering.h"

#include <algorithm>
#include <optional>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>
#include <stdexcept>
#include <unordered_set>

namespace nnc::codegen {

using namespace llvm;
using ir::OpKind;

namespace {

constexpr int64_t kAlign = 64;


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
  case OpKind::Conv2D: // the GEMM path where it applies, else the loop nest
    if (lowerConv2DFast(L, n))
      return;
    return lowerConv2D(L, n);
  case OpKind::Conv2DGradInput:
    if (lowerConv2DGradInputFast(L, n))
      return;
    return lowerConv2DGradInput(L, n);
  case OpKind::Conv2DGradFilter:
    if (lowerConv2DGradFilterDot(L, n) || lowerConv2DGradFilterFast(L, n))
      return;
    return lowerConv2DGradFilter(L, n);
  case OpKind::MaxPool2D:
    if (lowerMaxPool2x2Fast(L, n))
      return;
    return lowerPool2D(L, n);
  case OpKind::AvgPool2D: return lowerPool2D(L, n);
  case OpKind::MaxPool2DGrad:
    if (lowerMaxPool2x2Fast(L, n))
      return;
    return lowerPool2DGrad(L, n);
  case OpKind::AvgPool2DGrad: return lowerPool2DGrad(L, n);
  case OpKind::Select:
  case OpKind::Broadcast:
  case OpKind::Reshape: return lowerElementwise(L, n);
  default:
    if (ir::isElementwiseUnary(n.kind) || ir::isElementwiseBinary(n.kind))
      return lowerElementwise(L, n);
    throw std::logic_error(std::string("codegen: no lowering for op ") + ir::opName(n.kind));
  }
}

/// The assigns whose value the kernel computing it can write straight into
/// the target's binding (value -> target), so the copy in `.effects` goes.
/// Safe when the value is an elementwise op (alone or a fusion group's
/// elementwise member) of exactly the target's type, the target is assigned
/// once, and every other reader of the target runs no later than the value:
/// in an earlier kernel, or in the value's own kernel as an elementwise op at
/// or before the value in graph order reading the target at the loop's own
/// index (members load their operands when they are evaluated, so a later
/// member would see the new value). Outputs and other assigns read after all
/// kernels, so a target they read is never updated in place.
std::unordered_map<const ir::Node *, const ir::Node *>
inPlaceAssigns(const ir::Graph &g, const std::unordered_map<int, const ir::FusionGroup *> &groups,
               const std::unordered_set<const ir::Node *> &readThrough) {
  std::unordered_map<const ir::Node *, size_t> pos;
  std::unordered_map<const ir::Node *, int> kernel; // as the kernels run (buffer_plan.cpp)
  std::unordered_map<const ir::Node *, std::vector<const ir::Node *>> readers;
  std::unordered_map<const ir::Node *, int> assigned;
  int kernels = 0, lastGroup = 0;
  for (auto &up : g.nodes()) {
    const ir::Node *n = up.get();
    size_t at = pos.size();
    pos[n] = at;
    for (const ir::Node *op : n->operands)
      readers[op].push_back(n);
    if (n->kind == OpKind::Assign)
      ++assigned[n->operand(0)];
    if (!ir::hasKernel(n->kind) || readThrough.count(n))
      continue;
    if (!(n->group && n->group == lastGroup))
      ++kernels;
    lastGroup = n->group;
    kernel[n] = kernels - 1;
  }
  std::unordered_map<const ir::Node *, const ir::Node *> inPlace;
  std::unordered_set<const ir::Node *> targets;
  for (auto &up : g.nodes()) {
    const ir::Node *a = up.get();
    if (a->kind != OpKind::Assign)
      continue;
    const ir::Node *target = a->operand(0), *v = a->operand(1);
    if ((target->kind != OpKind::Param && target->kind != OpKind::State) ||
        assigned[target] != 1 || !ir::isFusibleElementwise(v->kind) || !kernel.count(v) ||
        !(v->type == target->type) || inPlace.count(v) || targets.count(target))
      continue;
    const ir::Shape &loop = v->group ? groups.at(v->group)->loopShape : v->shape();
    // Who reads the target's memory: a transpose that matmuls read through
    // is read where those matmuls run.
    std::vector<const ir::Node *> memoryReaders;
    for (const ir::Node *r : readers[target]) {
      if (readThrough.count(r))
        memoryReaders.insert(memoryReaders.end(), readers[r].begin(), readers[r].end());
      else if (r != a)
        memoryReaders.push_back(r);
    }
    bool safe = true;
    for (const ir::Node *r : memoryReaders) {
      if (!kernel.count(r)) { // an output or an assign: after all kernels
        safe = false;
        break;
      }
      if (kernel.at(r) < kernel.at(v))
        continue;
      bool sameIndex = true;
      for (const ir::Node *op : r->operands)
        if (op == target && !(op->shape() == loop))
          sameIndex = false;
      if (kernel.at(r) > kernel.at(v) || !ir::isFusibleElementwise(r->kind) || pos[r] > pos[v] ||
          !sameIndex) {
        safe = false;
        break;
      }
    }
    if (safe) {
      inPlace[v] = target;
      targets.insert(target);
    }
  }
  return inPlace;
}

/// A kernel's part: one op, or a fusion group (`first` is its first member).
struct KernelPart {
  const ir::Node *first;
  std::string name;
  int module = 0; // of ModuleShare::count
};

/// An op's share of LLVM's compile time, in elementwise ops. Measured as
/// opt -O2 + llc -O3 CPU time per part of the mnist convnet's training step
/// (codegen of each part with what it calls): an elementwise op ~5 ms, a
/// matmul 40-60 (it brings micro-kernels and packing), a convolution 90-100
/// (im2col too), the filter gradient 110-140, the input gradient 60, a pool
/// or the loss ~15-30.
int64_t compileWeight(ir::OpKind k) {
  switch (k) {
  case ir::OpKind::Conv2DGradFilter: return 24;
  case ir::OpKind::Conv2D: return 18;
  case ir::OpKind::Conv2DGradInput: case ir::OpKind::MatMul: return 10;
  case ir::OpKind::MaxPool2D: case ir::OpKind::MaxPool2DGrad: case ir::OpKind::AvgPool2D:
  case ir::OpKind::AvgPool2DGrad: case ir::OpKind::SoftmaxCrossEntropy:
  case ir::OpKind::SoftmaxCrossEntropyGrad: case ir::OpKind::Softmax:
    return 4;
  default: return 1;
  }
}

/// The parts in the order the kernel calls them, each given to the module
/// with the least estimated compile time so far (compileWeight).
std::vector<KernelPart> kernelParts(const ir::Graph &g,
                                    const std::unordered_set<const ir::Node *> &readThrough,
                                    const std::string &symbol, int modules) {
  std::unordered_map<int, int64_t> groupSize;
  for (auto &up : g.nodes())
    if (up->group)
      groupSize[up->group] += compileWeight(up->kind);
  std::vector<KernelPart> parts;
  std::vector<int64_t> load(std::max(1, modules), 0);
  int lastGroup = 0;
  for (auto &up : g.nodes()) {
    if (!ir::hasKernel(up->kind) || (up->group && up->group == lastGroup) ||
        readThrough.count(up.get()))
      continue;
    lastGroup = up->group;
    KernelPart p{up.get(), up->group ? symbol + ".fused." + std::to_string(up->group)
                                     : symbol + "." + ir::opName(up->kind) + "." +
                                           std::to_string(up->id)};
    p.module = (int)(std::min_element(load.begin(), load.end()) - load.begin());
    load[p.module] += up->group ? groupSize[up->group] : compileWeight(up->kind);
    parts.push_back(p);
  }
  return parts;
}

Function *kernelFunction(Module &m, const std::string &name, GlobalValue::LinkageTypes linkage) {
  LLVMContext &c = m.getContext();
  Type *ptr = PointerType::getUnqual(c);
  auto *fty = FunctionType::get(Type::getVoidTy(c), {ptr, Type::getInt64Ty(c), ptr}, false);
  Function *fn = Function::Create(fty, linkage, name, m);
  fn->setDoesNotThrow();
  fn->getArg(0)->setName("bindings");
  fn->getArg(1)->setName("batch");
  fn->getArg(2)->setName("workspace");
  fn->getArg(2)->addAttr(Attribute::NoAlias);
  return fn;
}

} // namespace

KernelSignature lowerGraph(const ir::Graph &g, const std::string &symbol, int64_t maxBatch,
                           Module &m, const TargetMachine *target, int threads,
                           ModuleShare share) {
  KernelSignature sig;
  sig.symbol = symbol;
  sig.maxBatch = maxBatch;

  // The GEMM (gemm.h) for the target. A transpose read only by matmuls gets
  // no buffer and is not computed: they read its operand with swapped
  // strides. The packing scratch is one area after the slots, sized for the
  // largest matmul (matmuls run one after another).
  LoweringOptions options;
  options.maxBatch = maxBatch;
  options.gemm = gemmConfigFor(target);
  options.threads = threads;
  std::unordered_map<const ir::Node *, int> matmulReads, reads;
  for (auto &up : g.nodes())
    for (const ir::Node *op : up->operands) {
      ++reads[op];
      if (up->kind == OpKind::MatMul && readsThroughTranspose(op))
        ++matmulReads[op];
    }
  std::unordered_set<const ir::Node *> readThrough;
  for (auto [t, count] : matmulReads)
    if (count == reads[t] && t->group == 0)
      readThrough.insert(t);
  options.readThrough = &readThrough;
  int64_t scratch = 0;
  for (auto &up : g.nodes())
    if (up->kind == OpKind::MatMul)
      scratch = std::max(scratch, planGemm(*up, maxBatch, options.gemm, readThrough, threads).scratchBytes);
    else
      scratch = std::max({scratch, convScratchBytes(*up, options.gemm, threads),
                          convGradScratchBytes(*up, options.gemm, threads),
                          convFilterScratchBytes(*up, options.gemm, threads),
                          convFilterDotScratchBytes(*up, options.gemm, threads)});

  // Buffers: bindings for the interface, workspace slots for intermediates.
  AddressTable addresses;
  std::vector<std::pair<const ir::Node *, const ir::Node *>> outputs; // output, its value
  for (auto &up : g.nodes()) {
    const ir::Node &n = *up;
    auto bind = [&](Binding::Role role, const ir::Node &value) {
      addresses[&n] = {BufferAddress::Binding, (int64_t)sig.bindings.size()};
      sig.bindings.push_back({role, n.name, value.type});
    };
    switch (n.kind) {
    case OpKind::Input: bind(Binding::Input, n); break;
    case OpKind::Param: bind(Binding::Param, n); break;
    case OpKind::State: bind(Binding::State, n); break;
    case OpKind::Output:
      bind(Binding::Output, *n.operand(0));
      outputs.push_back({&n, n.operand(0)});
      break;
    default:
      break;
    }
  }

  // Fusion groups; their elementwise members that nothing outside the group
  // reads live in registers only.
  std::string groupError;
  std::vector<ir::FusionGroup> groups = ir::collectFusionGroups(g, groupError);
  if (!groupError.empty())
    throw std::logic_error("codegen: " + groupError);
  std::unordered_map<int, const ir::FusionGroup *> groupById;
  for (const ir::FusionGroup &gr : groups)
    groupById[gr.id] = &gr;
  std::unordered_set<const ir::Node *> stored; // group members read outside their group
  for (auto &up : g.nodes())
    for (const ir::Node *op : up->operands)
      if (op->group && op->group != up->group)
        stored.insert(op);
  // A matmul-headed group's row sum may have to be done after the matmul
  // (rows split across threads): its operand is kept in memory.
  for (const ir::FusionGroup &gr : groups)
    if (gr.head && gr.reduction)
      stored.insert(gr.reduction->operand(0));

  // Assigns done in place: the value's kernel stores it into the target's
  // binding (the assign reads it outside its group, so a member is stored),
  // later kernels read it there, and it needs no workspace slot or copy.
  std::unordered_map<const ir::Node *, const ir::Node *> inPlace =
      inPlaceAssigns(g, groupById, readThrough);
  for (auto [v, target] : inPlace)
    addresses[v] = addresses.at(target);
  // Outputs likewise: a value computed by a kernel is stored straight into
  // its (first) output's binding, not copied there in `.effects`.
  std::unordered_map<const ir::Node *, const ir::Node *> outputInPlace; // value -> output
  for (auto [out, v] : outputs)
    if (ir::hasKernel(v->kind) && !readThrough.count(v) && !inPlace.count(v) &&
        !outputInPlace.count(v)) {
      outputInPlace[v] = out;
      addresses[v] = addresses.at(out);
    }

  // Workspace slots for the intermediates in memory, reusing the bytes of
  // values no later kernel reads (buffer_plan.h).
  auto inMemory = [&](const ir::Node &n) {
    if (!ir::hasKernel(n.kind) || readThrough.count(&n) || inPlace.count(&n) ||
        outputInPlace.count(&n))
      return false;
    bool registerOnly = n.group && ir::isFusibleElementwise(n.kind) && !stored.count(&n);
    return !registerOnly;
  };
  auto readsFrom = [&](const ir::Node *op) {
    return readThrough.count(op) ? op->operand(0) : op;
  };
  BufferPlan plan = planWorkspace(g, maxBatch, inMemory, readsFrom, kAlign);
  for (auto &[node, offset] : plan.offset)
    addresses[node] = {BufferAddress::Workspace, offset};
  sig.workspaceBytes = plan.bytes;
  sig.workspaceBytesWithoutReuse = plan.unplannedBytes;

  if (scratch > 0) {
    options.gemmScratch = sig.workspaceBytes;
    sig.workspaceBytes += (scratch + kAlign - 1) / kAlign * kAlign;
    sig.workspaceBytesWithoutReuse += (scratch + kAlign - 1) / kAlign * kAlign;
  }
  // A softmax cross-entropy and a later gradient of it (same logits and
  // labels) share each row's log-sum-exp: the loss kernel leaves it in an
  // area of its own, the gradient kernel reads it instead of recomputing.
  std::unordered_map<const ir::Node *, int64_t> logSumExpSlots;
  std::vector<const ir::Node *> losses;
  for (auto &up : g.nodes()) {
    const ir::Node *n = up.get();
    if (n->kind == OpKind::SoftmaxCrossEntropy)
      losses.push_back(n);
    if (n->kind != OpKind::SoftmaxCrossEntropyGrad)
      continue;
    for (const ir::Node *loss : losses)
      if (loss->operand(0) == n->operand(0) && loss->operand(1) == n->operand(1) &&
          !logSumExpSlots.count(loss) && loss->type.dtype == n->type.dtype) {
        const ir::Shape &x = n->operand(0)->shape();
        int64_t width = x.dims.back() == ir::kBatch ? maxBatch : x.dims.back();
        int64_t rows = width ? x.numElements(maxBatch) / width : 0;
        int64_t bytes = (rows * (n->type.dtype == ir::DType::F64 ? 8 : 4) + kAlign - 1) / kAlign * kAlign;
        logSumExpSlots[loss] = logSumExpSlots[n] = sig.workspaceBytes;
        sig.workspaceBytes += bytes;
        sig.workspaceBytesWithoutReuse += bytes;
        break;
      }
  }
  options.logSumExpSlots = &logSumExpSlots;

  // One internal function per kernel (an op, or a fusion group) keeps each
  // function small, so the O3 pipeline's cost grows linearly with the model;
  // the kernel calls them in graph order. Shared out among several modules
  // (`share`), each part goes to the least loaded one, its compile time
  // estimated from its ops (compileWeight).
  std::vector<KernelPart> parts = kernelParts(g, readThrough, symbol, share.count);
  const bool split = share.count > 1;
  Function *kernel = nullptr;
  std::optional<IRBuilder<>> kb;
  if (share.index == 0) {
    kernel = kernelFunction(m, symbol, Function::ExternalLinkage);
    kb.emplace(BasicBlock::Create(m.getContext(), "entry", kernel));
  }
  auto callPart = [&](Function *part) {
    if (kernel)
      kb->CreateCall(part, {kernel->getArg(0), kernel->getArg(1), kernel->getArg(2)});
  };
  for (const KernelPart &p : parts) {
    bool here = p.module == share.index;
    if (!here && share.index != 0)
      continue;
    Function *part = kernelFunction(m, p.name, split ? Function::ExternalLinkage
                                                     : Function::InternalLinkage);
    part->addFnAttr(Attribute::NoInline);
    if (here) {
      Lowering L(m, part, addresses, options);
      if (p.first->group)
        lowerFusionGroup(L, *groupById.at(p.first->group), stored);
      else
        lowerNode(L, *p.first);
      L.b().CreateRetVoid();
    }
    callPart(part);
  }

  // Effects, after all compute: outputs, then parameter and state updates
  // (but those done in place); in module 0, like the kernel function.
  for (auto &up : g.nodes())
    if (up->kind == OpKind::Assign) {
      ++sig.assigns;
      auto it = inPlace.find(up->operand(1));
      sig.assignsInPlace += it != inPlace.end() && it->second == up->operand(0);
    }
  if (!kernel) {
    std::string err;
    raw_string_ostream os(err);
    if (verifyModule(m, &os))
      throw std::logic_error("codegen produced invalid LLVM IR for " + symbol + ": " + os.str());
    return sig;
  }
  Function *effects = kernelFunction(m, symbol + ".effects", Function::InternalLinkage);
  effects->addFnAttr(Attribute::NoInline);
  Lowering E(m, effects, addresses);
  for (auto [out, v] : outputs) {
    auto it = outputInPlace.find(v);
    if (it == outputInPlace.end() || it->second != out)
      lowerCopy(E, v, E.storage(out), v->type.dtype, E.numElements(v->shape()));
  }
  for (auto &up : g.nodes())
    if (up->kind == OpKind::Assign) {
      const ir::Node *target = up->operand(0), *v = up->operand(1);
      auto it = inPlace.find(v);
      if (it != inPlace.end() && it->second == target)
        continue;
      lowerCopy(E, v, E.storage(target), v->type.dtype, E.numElements(v->shape()));
    }
  E.b().CreateRetVoid();
  callPart(effects);
  kb->CreateRetVoid();

  std::string err;
  raw_string_ostream os(err);
  if (verifyModule(m, &os))
    throw std::logic_error("codegen produced invalid LLVM IR for " + symbol + ": " + os.str());
  return sig;
}

} // namespace nnc::codegen
