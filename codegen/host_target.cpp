#include "codegen/host_target.h"

#include <llvm/IR/Module.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/TargetParser/Host.h>
#include <stdexcept>

namespace nnc::codegen {

using namespace llvm;

std::unique_ptr<TargetMachine> createHostTargetMachine() {
  static bool initialized = [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  std::string triple = sys::getProcessTriple();
  std::string err;
  const Target *target = TargetRegistry::lookupTarget(triple, err);
  if (!target)
    throw std::runtime_error("no LLVM target for " + triple + ": " + err);
  std::string features;
  for (auto &f : sys::getHostCPUFeatures())
    features += (f.second ? "+" : "-") + f.first().str() + ",";
  TargetOptions opts;
  std::unique_ptr<TargetMachine> tm(target->createTargetMachine(
      triple, sys::getHostCPUName(), features, opts, Reloc::PIC_, std::nullopt,
      CodeGenOptLevel::Aggressive));
  if (!tm)
    throw std::runtime_error("cannot create a target machine for " + triple);
  return tm;
}

void optimizeModule(Module &m, TargetMachine &tm, int level) {
  m.setDataLayout(tm.createDataLayout());
  m.setTargetTriple(tm.getTargetTriple().str());
  for (Function &f : m)
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", tm.getTargetCPU());
      f.addFnAttr("target-features", tm.getTargetFeatureString());
    }
  if (level <= 0)
    return;
  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  OptimizationLevel ol = level == 1 ? OptimizationLevel::O1
                       : level == 2 ? OptimizationLevel::O2 : OptimizationLevel::O3;
  pb.buildPerModuleDefaultPipeline(ol).run(m, mam);
}

} // namespace nnc::codegen
