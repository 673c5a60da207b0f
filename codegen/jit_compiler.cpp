#include "codegen/jit_compiler.h"

#include "codegen/host_target.h"
#include "codegen/lower_graph.h"
#include "runtime/parallel_for.h"

#include <algorithm>
#include <map>
#include <cstdio>
#include <cstdlib>
#include <llvm/ExecutionEngine/JITLink/JITLink.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h>
#include <llvm/AsmParser/Parser.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace nnc::codegen {

using namespace llvm;

struct JitCompiler::Impl {
  // One context per module: modules compile concurrently.
  std::vector<orc::ThreadSafeModule> modules;
  std::string text;
  std::unique_ptr<orc::LLJIT> jit;
  std::unique_ptr<TargetMachine> tm; // the host, created by the first add()
  int threads = 1;
  int modulesPerKernel = 1;
  // Per kernel symbol: a function defined in each of its other modules, looked
  // up with it so that all of them compile at once.
  std::map<std::string, std::vector<std::string>> companions;
};

namespace {
unsigned compileThreads() { return std::min(2u, std::max(1u, std::thread::hardware_concurrency())); }
} // namespace

namespace {
/// Profiling JIT'd code: with NNC_PERF_MAP=1 in the environment, every
/// function the JIT links (kernels, their per-op parts, GEMM micro-kernels,
/// parallelFor tasks) gets a line "START SIZE name" (hex) in
/// /tmp/perf-<pid>.map, the file `perf report` reads for code that has no
/// object file on disk (linux/tools/perf/Documentation/jit-interface.txt).
/// Written after the link graph's fixups, when addresses are final; the two
/// compile threads append under a lock. The file is never truncated: one
/// process, one pid. Needs JITLink (LLJIT's linker for ELF x86-64 and
/// AArch64); with another linker nothing is written.
class PerfMapPlugin : public orc::ObjectLinkingLayer::Plugin {
public:
  void modifyPassConfig(orc::MaterializationResponsibility &, jitlink::LinkGraph &,
                        jitlink::PassConfiguration &config) override {
    // A call to a function of the same section needs no relocation, so
    // JITLink sees no edge to internal functions (parts, micro-kernels) and
    // would drop their symbols as dead (their code stays in the section's
    // block): keep them, to name them.
    config.PrePrunePasses.push_back([](jitlink::LinkGraph &g) -> Error {
      for (jitlink::Symbol *sym : g.defined_symbols())
        if (sym->isCallable() && sym->hasName())
          sym->setLive(true);
      return Error::success();
    });
    config.PostFixupPasses.push_back([this](jitlink::LinkGraph &g) -> Error {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!file_)
        file_ = std::fopen(("/tmp/perf-" + std::to_string(getpid()) + ".map").c_str(), "a");
      if (!file_)
        return Error::success(); // profiling is best effort: the kernels still run
      for (jitlink::Symbol *sym : g.defined_symbols())
        if (sym->isCallable() && sym->hasName() && sym->getSize() > 0)
          std::fprintf(file_, "%llx %llx %s\n", (unsigned long long)sym->getAddress().getValue(),
                       (unsigned long long)sym->getSize(), sym->getName().str().c_str());
      std::fflush(file_);
      return Error::success();
    });
  }
  Error notifyFailed(orc::MaterializationResponsibility &) override { return Error::success(); }
  Error notifyRemovingResources(orc::JITDylib &, orc::ResourceKey) override {
    return Error::success();
  }
  void notifyTransferringResources(orc::JITDylib &, orc::ResourceKey, orc::ResourceKey) override {}
  ~PerfMapPlugin() override {
    if (file_)
      std::fclose(file_);
  }

private:
  std::mutex mutex_;
  std::FILE *file_ = nullptr;
};

bool perfMapWanted() {
  const char *v = std::getenv("NNC_PERF_MAP");
  return v && std::string(v) == "1";
}

[[noreturn]] void fail(const std::string &what, Error e) {
  throw std::runtime_error(what + ": " + toString(std::move(e)));
}
} // namespace

JitCompiler::JitCompiler(int threads, int modulesPerKernel) : impl_(std::make_unique<Impl>()) {
  impl_->threads = std::max(1, threads);
  impl_->modulesPerKernel = modulesPerKernel > 0 ? modulesPerKernel : (int)compileThreads();
}
JitCompiler::~JitCompiler() = default;

KernelSignature JitCompiler::add(const ir::Graph &g, const std::string &symbol, int64_t maxBatch) {
  if (!impl_->tm) // the host: it picks the GEMM's vector width
    impl_->tm = createHostTargetMachine();
  KernelSignature sig;
  for (int k = 0; k < impl_->modulesPerKernel; ++k) {
    auto ctx = std::make_unique<LLVMContext>(); // one per module: they compile concurrently
    auto module = std::make_unique<Module>(k ? symbol + "." + std::to_string(k) : symbol, *ctx);
    KernelSignature s = lowerGraph(g, symbol, maxBatch, *module, impl_->tm.get(), impl_->threads,
                                   {k, impl_->modulesPerKernel});
    if (k == 0)
      sig = s;
    else
      for (Function &f : *module)
        if (!f.isDeclaration() && f.hasExternalLinkage()) {
          impl_->companions[symbol].push_back(f.getName().str());
          break;
        }
    impl_->modules.emplace_back(std::move(module), std::move(ctx));
  }
  return sig;
}

void JitCompiler::compile(int optLevel, bool keepLlvmText) {
  auto tm = createHostTargetMachine();
  if (perfMapWanted()) // frame pointers, so that `perf record -g` finds each micro-kernel's caller
    for (orc::ThreadSafeModule &tsm : impl_->modules)
      tsm.withModuleDo([](Module &m) {
        for (Function &f : m)
          if (!f.isDeclaration())
            f.addFnAttr("frame-pointer", "all");
      });
  if (keepLlvmText) {
    // One module for the text (valid input for llvm-as, opt, llc): each
    // module is optimized, printed and read back into one context, and the
    // modules are linked (internal helpers defined in several get renamed).
    LLVMContext ctx;
    auto all = std::make_unique<Module>("nnc", ctx);
    for (orc::ThreadSafeModule &tsm : impl_->modules)
      tsm.withModuleDo([&](Module &m) {
        optimizeModule(m, *tm, optLevel);
        std::string text;
        raw_string_ostream os(text);
        m.print(os, nullptr);
        SMDiagnostic err;
        std::unique_ptr<Module> copy = parseAssemblyString(text, err, ctx);
        if (!copy || Linker::linkModules(*all, std::move(copy)))
          throw std::logic_error("cannot link the kernels' modules into one: " + err.getMessage().str());
      });
    raw_string_ostream os(impl_->text);
    all->print(os, nullptr);
  }

  auto jtmb = orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb)
    fail("cannot describe the host for the JIT", jtmb.takeError());
  jtmb->setCPU(tm->getTargetCPU().str());
  jtmb->addFeatures({tm->getTargetFeatureString().str()});
  unsigned threads = compileThreads();
  auto jit = orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*jtmb))
                 .setNumCompileThreads(impl_->modules.size() > 1 ? threads : 0)
                 .create();
  if (!jit)
    fail("cannot create the JIT", jit.takeError());
  impl_->jit = std::move(*jit);
  if (perfMapWanted())
    if (auto *linker = dyn_cast<orc::ObjectLinkingLayer>(&impl_->jit->getObjLinkingLayer()))
      linker->addPlugin(std::make_unique<PerfMapPlugin>());
  auto gen = orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      impl_->jit->getDataLayout().getGlobalPrefix());
  if (!gen)
    fail("cannot expose libm to the JIT", gen.takeError());
  impl_->jit->getMainJITDylib().addGenerator(std::move(*gen));
  orc::SymbolMap runtime;
  runtime[impl_->jit->mangleAndIntern("nnc_parallel_for")] = {
      orc::ExecutorAddr::fromPtr(&nnc_parallel_for), JITSymbolFlags::Exported};
  if (Error e = impl_->jit->getMainJITDylib().define(orc::absoluteSymbols(std::move(runtime))))
    fail("cannot give the JIT the thread pool", std::move(e));
  if (!keepLlvmText) // optimize each module when it is first needed, on a compile thread
    impl_->jit->getIRTransformLayer().setTransform(
        [optLevel](orc::ThreadSafeModule tsm,
                   orc::MaterializationResponsibility &) -> Expected<orc::ThreadSafeModule> {
          tsm.withModuleDo([&](Module &m) {
            auto moduleTm = createHostTargetMachine();
            optimizeModule(m, *moduleTm, optLevel);
          });
          return tsm;
        });
  for (orc::ThreadSafeModule &tsm : impl_->modules)
    if (Error e = impl_->jit->addIRModule(std::move(tsm)))
      fail("cannot add a module to the JIT", std::move(e));
  impl_->modules.clear();
}

std::string JitCompiler::llvmText() const { return impl_->text; }

KernelFn JitCompiler::lookup(const std::string &symbol) { return lookupAll({symbol})[0]; }

std::vector<KernelFn> JitCompiler::lookupAll(const std::vector<std::string> &symbols) {
  if (!impl_->jit)
    throw std::logic_error("JitCompiler::lookup before compile()");
  orc::ExecutionSession &es = impl_->jit->getExecutionSession();
  orc::SymbolLookupSet set;
  for (const std::string &s : symbols) {
    set.add(impl_->jit->mangleAndIntern(s));
    if (auto it = impl_->companions.find(s); it != impl_->companions.end()) // read only: lookups
      for (const std::string &c : it->second)                                // may run concurrently
        set.add(impl_->jit->mangleAndIntern(c));
  }
  auto found = es.lookup(orc::makeJITDylibSearchOrder(&impl_->jit->getMainJITDylib()), set);
  if (!found)
    fail("cannot compile or find the kernels", found.takeError());
  std::vector<KernelFn> fns;
  for (const std::string &s : symbols)
    fns.push_back(found->at(impl_->jit->mangleAndIntern(s)).getAddress().toPtr<KernelFn>());
  return fns;
}

} // namespace nnc::codegen
