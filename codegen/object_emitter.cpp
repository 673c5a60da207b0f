#include "codegen/object_emitter.h"

#include "codegen/gemm.h"
#include "codegen/host_target.h"
#include "codegen/lower_graph.h"

#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>
#include <cctype>
#include <functional>
#include <stdexcept>

namespace nnc::codegen {

using namespace llvm;

std::string cIdentifier(const std::string &name) {
  std::string s;
  for (unsigned char c : name)
    s += std::isalnum(c) || c == '_' ? (char)c : '_';
  if (s.empty() || std::isdigit((unsigned char)s[0]))
    s = "m_" + s;
  return s;
}

namespace {

CodeGenOptLevel codeGenLevel(int level) {
  return level <= 0 ? CodeGenOptLevel::None
       : level == 1 ? CodeGenOptLevel::Less
       : level == 2 ? CodeGenOptLevel::Default : CodeGenOptLevel::Aggressive;
}

/// The host target machine (as the JIT uses), or one for an explicit triple/CPU.
std::unique_ptr<TargetMachine> makeTargetMachine(const AotTarget &t) {
  if (t.triple.empty() && t.cpu.empty())
    return createHostTargetMachine();
  static bool initialized = [] {
    InitializeAllTargetInfos();
    InitializeAllTargets();
    InitializeAllTargetMCs();
    InitializeAllAsmPrinters();
    return true;
  }();
  (void)initialized;
  std::string triple = t.triple.empty() ? sys::getProcessTriple() : Triple::normalize(t.triple);
  std::string err;
  const Target *target = TargetRegistry::lookupTarget(triple, err);
  if (!target || Triple(triple).getArch() == Triple::UnknownArch)
    throw std::runtime_error("unknown target triple '" + t.triple +
                             "' (try x86_64-linux-gnu or aarch64-linux-gnu)");
  std::string cpu = !t.cpu.empty() ? t.cpu
                  : t.triple.empty() ? sys::getHostCPUName().str() : "generic";
  if (cpu != "generic") {
    std::unique_ptr<MCSubtargetInfo> sti(target->createMCSubtargetInfo(triple, "", ""));
    if (!sti || !sti->isCPUStringValid(cpu))
      throw std::runtime_error("unknown CPU '" + cpu + "' for target " + triple);
  }
  TargetOptions opts;
  std::unique_ptr<TargetMachine> tm(target->createTargetMachine(
      triple, cpu, "", opts, Reloc::PIC_, std::nullopt, codeGenLevel(t.optLevel)));
  if (!tm)
    throw std::runtime_error("cannot create a target machine for " + triple);
  return tm;
}

GlobalVariable *global(Module &m, Constant *init, bool constant, const std::string &name,
                       GlobalValue::LinkageTypes linkage = GlobalValue::InternalLinkage) {
  auto *g = new GlobalVariable(m, init->getType(), constant, linkage, init, name);
  g->setAlignment(Align(64));
  return g;
}

/// A zero-filled internal buffer of `bytes` (at least 1), 64-byte aligned.
GlobalVariable *zeroBuffer(Module &m, int64_t bytes, const std::string &name) {
  auto *t = ArrayType::get(Type::getInt8Ty(m.getContext()), std::max<int64_t>(bytes, 1));
  return global(m, ConstantAggregateZero::get(t), false, name);
}

Constant *tensorConstant(LLVMContext &c, const ConstantTensor &t) {
  int64_t n = t.type.shape.numElements(1);
  switch (t.type.dtype) {
  case ir::DType::F32:
    return ConstantDataArray::get(c, ArrayRef<float>((const float *)t.data, n));
  case ir::DType::F64:
    return ConstantDataArray::get(c, ArrayRef<double>((const double *)t.data, n));
  case ir::DType::I32:
    return ConstantDataArray::get(c, ArrayRef<int32_t>((const int32_t *)t.data, n));
  }
  throw std::logic_error("unknown dtype");
}

/// `const char *const name[]`: the strings, with external linkage.
void stringTable(Module &m, const std::vector<std::string> &strings, const std::string &name) {
  LLVMContext &c = m.getContext();
  std::vector<Constant *> ptrs;
  for (size_t i = 0; i < strings.size(); ++i) {
    auto *s = new GlobalVariable(m, ArrayType::get(Type::getInt8Ty(c), strings[i].size() + 1),
                                 true, GlobalValue::PrivateLinkage,
                                 ConstantDataArray::getString(c, strings[i]),
                                 name + ".str" + std::to_string(i));
    s->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    ptrs.push_back(s);
  }
  auto *t = ArrayType::get(PointerType::getUnqual(c), ptrs.size());
  auto *g = new GlobalVariable(m, t, true, GlobalValue::ExternalLinkage,
                               ConstantArray::get(t, ptrs), name);
  g->setAlignment(Align(8));
}

/// for (i = 0; i < count; ++i) body(i), at b's insertion point.
void countedLoop(IRBuilder<> &b, Value *count, const std::function<void(Value *)> &body) {
  Function *fn = b.GetInsertBlock()->getParent();
  LLVMContext &c = fn->getContext();
  BasicBlock *pre = b.GetInsertBlock();
  auto *head = BasicBlock::Create(c, "loop", fn), *bodyBB = BasicBlock::Create(c, "loop.body", fn),
       *exit = BasicBlock::Create(c, "loop.exit", fn);
  b.CreateBr(head);
  b.SetInsertPoint(head);
  PHINode *i = b.CreatePHI(b.getInt64Ty(), 2, "i");
  i->addIncoming(b.getInt64(0), pre);
  b.CreateCondBr(b.CreateICmpSLT(i, count), bodyBB, exit);
  b.SetInsertPoint(bodyBB);
  body(i);
  Value *next = b.CreateAdd(i, b.getInt64(1), "", /*HasNUW=*/true, /*HasNSW=*/true);
  i->addIncoming(next, b.GetInsertBlock());
  b.CreateBr(head);
  b.SetInsertPoint(exit);
}

int64_t rowWidth(const ir::TensorType &t) { return t.shape.numElements(1); }

void checkInterface(const AotModel &model, const KernelSignature &sig) {
  for (const Binding &bd : sig.bindings) {
    if (bd.role == Binding::Input && bd.name != model.input)
      throw std::runtime_error("the model has a second input '" + bd.name +
                               "'; standalone objects support one feature input");
    if ((bd.role == Binding::Param || bd.role == Binding::State) && !model.tensors.count(bd.name))
      throw std::logic_error("no trained values for parameter " + bd.name);
    if ((bd.role == Binding::Input && bd.name == model.input) ||
        (bd.role == Binding::Output && bd.name == model.output)) {
      if (bd.type.dtype != ir::DType::F32 || !bd.type.shape.hasBatch() ||
          bd.type.shape.dims.empty() || bd.type.shape.dims[0] != ir::kBatch)
        throw std::runtime_error("standalone objects need f32[B,...] features and outputs; '" +
                                 bd.name + "' is " + bd.type.str());
    }
  }
  if (sig.find(Binding::Input, model.input) < 0 || sig.find(Binding::Output, model.output) < 0)
    throw std::logic_error("prediction graph lacks its input or output");
}

/// int P_predict(const float *features, int64_t rows, float *outputs)
void buildPredictEntry(Module &m, const AotModel &model, const KernelSignature &sig,
                       Function *kernel, const AotInterface &api) {
  LLVMContext &c = m.getContext();
  Type *f32 = Type::getFloatTy(c), *f64 = Type::getDoubleTy(c), *i64 = Type::getInt64Ty(c);
  Type *ptr = PointerType::getUnqual(c);
  auto *fty = FunctionType::get(Type::getInt32Ty(c), {ptr, i64, ptr}, false);
  Function *fn = Function::Create(fty, GlobalValue::ExternalLinkage, api.predictSymbol, m);
  fn->setDoesNotThrow();
  Value *features = fn->getArg(0), *rows = fn->getArg(1), *outputs = fn->getArg(2);
  features->setName("features");
  rows->setName("rows");
  outputs->setName("outputs");

  // Static storage: workspace, outputs nobody asked for, standardized features.
  const std::string &p = model.prefix;
  GlobalVariable *workspace = zeroBuffer(m, sig.workspaceBytes, p + ".workspace");
  std::vector<Constant *> fixed(sig.bindings.size(), nullptr);
  for (size_t i = 0; i < sig.bindings.size(); ++i) {
    const Binding &bd = sig.bindings[i];
    if (bd.role == Binding::Param || bd.role == Binding::State)
      fixed[i] = global(m, tensorConstant(c, model.tensors.at(bd.name)),
                        bd.role == Binding::Param, p + "." + bd.name);
    else if (bd.role == Binding::Output && bd.name != model.output)
      fixed[i] = zeroBuffer(m, rowWidth(bd.type) * sig.maxBatch * ir::dtypeBytes(bd.type.dtype),
                            p + ".unused." + bd.name);
  }
  bool standardize = !model.featureMean.empty();
  GlobalVariable *xbuf = nullptr, *mean = nullptr, *stddev = nullptr;
  if (standardize) {
    xbuf = zeroBuffer(m, api.numFeatures * sig.maxBatch * 4, p + ".standardized");
    // (x - mean) / std in double, as runtime::Standardizer does.
    std::vector<double> mu(model.featureMean.begin(), model.featureMean.end()),
        sd(model.featureStd.begin(), model.featureStd.end());
    mean = global(m, ConstantDataArray::get(c, ArrayRef<double>(mu)), true, p + ".feature_mean");
    stddev = global(m, ConstantDataArray::get(c, ArrayRef<double>(sd)), true, p + ".feature_std");
  }
  int inIdx = sig.find(Binding::Input, model.input), outIdx = sig.find(Binding::Output, model.output);
  int64_t F = api.numFeatures, W = api.numOutputs, maxBatch = sig.maxBatch;

  auto *entry = BasicBlock::Create(c, "entry", fn);
  auto *bad = BasicBlock::Create(c, "bad_arguments", fn);
  auto *checkPtrs = BasicBlock::Create(c, "check_pointers", fn);
  auto *setup = BasicBlock::Create(c, "setup", fn);
  auto *done = BasicBlock::Create(c, "done", fn);
  IRBuilder<> b(entry);
  AllocaInst *bindings = b.CreateAlloca(ArrayType::get(ptr, sig.bindings.size()), nullptr, "bindings");
  auto slot = [&](int i) { return b.CreateConstInBoundsGEP2_64(bindings->getAllocatedType(), bindings, 0, i); };
  // rows < 0: error; rows == 0: nothing to do (NULL pointers allowed).
  b.CreateCondBr(b.CreateICmpSLT(rows, b.getInt64(0)), bad, checkPtrs);
  b.SetInsertPoint(checkPtrs);
  Value *anyNull = b.CreateOr(b.CreateIsNull(features), b.CreateIsNull(outputs));
  Value *isZero = b.CreateICmpEQ(rows, b.getInt64(0));
  auto *checkNull = BasicBlock::Create(c, "check_null", fn);
  b.CreateCondBr(isZero, done, checkNull);
  b.SetInsertPoint(checkNull);
  b.CreateCondBr(anyNull, bad, setup);

  b.SetInsertPoint(setup);
  for (size_t i = 0; i < fixed.size(); ++i)
    if (fixed[i])
      b.CreateStore(fixed[i], slot((int)i));
  auto *head = BasicBlock::Create(c, "chunk", fn), *body = BasicBlock::Create(c, "chunk.body", fn);
  b.CreateBr(head);
  b.SetInsertPoint(head);
  PHINode *row0 = b.CreatePHI(i64, 2, "row0");
  row0->addIncoming(b.getInt64(0), setup);
  b.CreateCondBr(b.CreateICmpSLT(row0, rows), body, done);

  b.SetInsertPoint(body);
  Value *left = b.CreateSub(rows, row0);
  Value *n = b.CreateSelect(b.CreateICmpSLT(left, b.getInt64(maxBatch)), left,
                            b.getInt64(maxBatch), "n");
  Value *in = b.CreateInBoundsGEP(f32, features, b.CreateMul(row0, b.getInt64(F)), "in");
  Value *out = b.CreateInBoundsGEP(f32, outputs, b.CreateMul(row0, b.getInt64(W)), "out");
  if (standardize) {
    countedLoop(b, b.CreateMul(n, b.getInt64(F)), [&](Value *i) {
      Value *j = b.CreateURem(i, b.getInt64(F));
      Value *x = b.CreateFPExt(b.CreateLoad(f32, b.CreateInBoundsGEP(f32, in, i)), f64);
      Value *mu = b.CreateLoad(f64, b.CreateInBoundsGEP(f64, mean, j));
      Value *sd = b.CreateLoad(f64, b.CreateInBoundsGEP(f64, stddev, j));
      Value *z = b.CreateFPTrunc(b.CreateFDiv(b.CreateFSub(x, mu), sd), f32);
      b.CreateStore(z, b.CreateInBoundsGEP(f32, xbuf, i));
    });
    b.CreateStore(xbuf, slot(inIdx));
  } else {
    b.CreateStore(in, slot(inIdx));
  }
  b.CreateStore(out, slot(outIdx));
  b.CreateCall(kernel, {bindings, n, workspace});
  if (model.targetMeanStd) { // back to the data's units: v * std + mean, in double
    Constant *sd = ConstantFP::get(f64, model.targetMeanStd->second);
    Constant *mu = ConstantFP::get(f64, model.targetMeanStd->first);
    countedLoop(b, b.CreateMul(n, b.getInt64(W)), [&](Value *i) {
      Value *at = b.CreateInBoundsGEP(f32, out, i);
      Value *v = b.CreateFPExt(b.CreateLoad(f32, at), f64);
      b.CreateStore(b.CreateFPTrunc(b.CreateFAdd(b.CreateFMul(v, sd), mu), f32), at);
    });
  }
  row0->addIncoming(b.CreateAdd(row0, n), b.GetInsertBlock());
  b.CreateBr(head);

  b.SetInsertPoint(done);
  b.CreateRet(b.getInt32(0));
  b.SetInsertPoint(bad);
  b.CreateRet(b.getInt32(-1));
}

} // namespace

AotResult emitAot(const AotModel &model, const AotTarget &target, AotFileKind kind) {
  std::unique_ptr<TargetMachine> tm = makeTargetMachine(target);
  LLVMContext ctx;
  Module m(model.prefix, ctx);
  m.setDataLayout(tm->createDataLayout());
  m.setTargetTriple(tm->getTargetTriple().str());

  AotInterface api;
  api.prefix = model.prefix;
  api.predictSymbol = model.prefix + "_predict";
  api.classNamesSymbol = model.prefix + "_class_names";
  api.featureNamesSymbol = model.prefix + "_feature_names";
  api.triple = tm->getTargetTriple().str();
  api.cpu = tm->getTargetCPU().str();

  KernelSignature sig = lowerGraph(*model.graph, model.prefix + ".kernel", model.maxBatch, m, tm.get());
  checkInterface(model, sig);
  api.maxBatch = sig.maxBatch;
  const ir::TensorType &inputType = sig.bindings[sig.find(Binding::Input, model.input)].type;
  api.numFeatures = rowWidth(inputType);
  api.inputShape.assign(inputType.shape.dims.begin() + 1, inputType.shape.dims.end());
  api.numOutputs = rowWidth(sig.bindings[sig.find(Binding::Output, model.output)].type);
  if (!model.featureMean.empty() && ((int64_t)model.featureMean.size() != api.numFeatures ||
                                     model.featureStd.size() != model.featureMean.size()))
    throw std::runtime_error("the weights' feature statistics have " +
                             std::to_string(model.featureMean.size()) +
                             " columns but the model reads " + std::to_string(api.numFeatures));
  Function *kernel = m.getFunction(sig.symbol);
  kernel->setLinkage(GlobalValue::InternalLinkage); // only the C entry is exported
  buildPredictEntry(m, model, sig, kernel, api);
  if (model.classifier)
    stringTable(m, model.classNames, api.classNamesSymbol);
  if (!model.featureNames.empty())
    stringTable(m, model.featureNames, api.featureNamesSymbol);

  std::string err;
  raw_string_ostream es(err);
  if (verifyModule(m, &es))
    throw std::logic_error("AOT entry for " + model.prefix + " is invalid LLVM IR: " + es.str());
  optimizeModule(m, *tm, target.optLevel);

  SmallVector<char, 0> buf;
  raw_svector_ostream os(buf);
  legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, os, nullptr,
                              kind == AotFileKind::Object ? CodeGenFileType::ObjectFile
                                                          : CodeGenFileType::AssemblyFile))
    throw std::runtime_error("the target " + api.triple + " cannot emit this file type");
  pm.run(m);
  return {api, std::string(buf.begin(), buf.end())};
}

std::string gemmChoiceReport(const AotTarget &target) {
  std::unique_ptr<TargetMachine> tm = makeTargetMachine(target);
  GemmConfig c = gemmConfigFor(tm.get());
  std::string out = "gemm: " + c.cpu + "\n";
  size_t pos = 0;
  while (pos < c.why.size()) {
    size_t nl = c.why.find('\n', pos);
    out += "  " + c.why.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos) + "\n";
    pos = nl == std::string::npos ? c.why.size() : nl + 1;
  }
  return out;
}

} // namespace nnc::codegen
