#include "codegen/jit_compiler.h"

#include "codegen/host_target.h"
#include "codegen/lower_graph.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_ostream.h>
#include <stdexcept>

namespace nnc::codegen {

using namespace llvm;

struct JitCompiler::Impl {
  std::unique_ptr<LLVMContext> ctx = std::make_unique<LLVMContext>();
  std::unique_ptr<Module> module = std::make_unique<Module>("nnc", *ctx);
  std::string text;
  std::unique_ptr<orc::LLJIT> jit;
};

namespace {
[[noreturn]] void fail(const std::string &what, Error e) {
  throw std::runtime_error(what + ": " + toString(std::move(e)));
}
} // namespace

JitCompiler::JitCompiler() : impl_(std::make_unique<Impl>()) {}
JitCompiler::~JitCompiler() = default;

KernelSignature JitCompiler::add(const ir::Graph &g, const std::string &symbol, int64_t maxBatch) {
  return lowerGraph(g, symbol, maxBatch, *impl_->module);
}

void JitCompiler::compile(int optLevel) {
  auto tm = createHostTargetMachine();
  optimizeModule(*impl_->module, *tm, optLevel);
  raw_string_ostream os(impl_->text);
  impl_->module->print(os, nullptr);

  auto jtmb = orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    fail("cannot describe the host for the JIT", jtmb.takeError());
  jtmb->setCPU(tm->getTargetCPU().str());
  jtmb->addFeatures({tm->getTargetFeatureString().str()});
  auto jit = orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
  if (!jit)
    fail("cannot create the JIT", jit.takeError());
  impl_->jit = std::move(*jit);
  auto gen = orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      impl_->jit->getDataLayout().getGlobalPrefix());
  if (!gen)
    fail("cannot expose libm to the JIT", gen.takeError());
  impl_->jit->getMainJITDylib().addGenerator(std::move(*gen));
  if (Error e = impl_->jit->addIRModule(
          orc::ThreadSafeModule(std::move(impl_->module), std::move(impl_->ctx))))
    fail("cannot add the module to the JIT", std::move(e));
}

std::string JitCompiler::llvmText() const {
  if (impl_->module) {
    std::string s;
    raw_string_ostream os(s);
    impl_->module->print(os, nullptr);
    return s;
  }
  return impl_->text;
}

KernelFn JitCompiler::lookup(const std::string &symbol) {
  if (!impl_->jit)
    throw std::logic_error("JitCompiler::lookup before compile()");
  auto addr = impl_->jit->lookup(symbol);
  if (!addr)
    fail("cannot find kernel " + symbol, addr.takeError());
  return addr->toPtr<KernelFn>();
}

} // namespace nnc::codegen
