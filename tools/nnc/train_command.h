// `nnc model.nn --train data.csv [--test test.csv]`: loads the data, trains
// with the JIT'd training step and reports loss and metrics.
#pragma once
#include "codegen/jit_compiler.h"
#include "frontend/model.h"
#include "options.h"

namespace nnc::cli {

/// Returns the process exit code; errors a user can cause are printed.
int runTraining(const frontend::Model &model, const ir::Graph &trainGraph, const Options &opts,
                codegen::JitCompiler &jit,
                const codegen::KernelSignature &step, const codegen::KernelSignature &eval);

} // namespace nnc::cli
