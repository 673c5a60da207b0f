// KernelRunner's workspace is page-aligned: the buffer plan's 64-byte slot
// offsets are then 64-byte addresses (a vector load never straddles two
// cache lines) and their offsets modulo 4096 are the same in every run.
// Seen failing with the earlier `new double[]` workspace (16 mod 64).
#include "runtime/kernel_runner.h"

#include <cstdint>
#include <gtest/gtest.h>

using namespace nnc;

namespace {

void *seen = nullptr;
void recordWorkspace(void **, int64_t, void *workspace) { seen = workspace; }

TEST(KernelRunner, WorkspaceIsPageAligned) {
  runtime::ParamStore store;
  for (int64_t bytes : {1, 1000, 70000, 3 << 20}) {
    codegen::KernelSignature sig;
    sig.symbol = "k";
    sig.maxBatch = 4;
    sig.workspaceBytes = bytes;
    runtime::KernelRunner runner(sig, recordWorkspace, store);
    seen = nullptr;
    runner.run(2);
    ASSERT_NE(seen, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(seen) % 4096, 0u) << bytes << " bytes";
  }
}

} // namespace
