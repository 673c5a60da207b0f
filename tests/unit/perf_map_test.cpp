// NNC_PERF_MAP=1 (codegen/jit_compiler.h): the JIT writes /tmp/perf-<pid>.map,
// one "START SIZE name" line (hex) per function it links, internal ones
// (kernel parts, GEMM micro-kernels) included, so that `perf report` names
// JIT'd code. Seen failing: without the pass that keeps internal symbols
// alive, the map had the kernel but no nnc.gemm.kernel line.
#include "codegen/jit_compiler.h"
#include "ir/parser.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <unistd.h>

using namespace nnc;

namespace {

const char *kGraph = R"(graph @net {
  %x = input "x" : f32[B,64]
  %w = param "w" zeros() : f32[64,64]
  %h = matmul %x, %w : f32[B,64]
  %r = relu %h : f32[B,64]
  output "r" %r
})";

TEST(PerfMap, NamesEveryJitFunction) {
  std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  std::remove(path.c_str());
  ASSERT_EQ(setenv("NNC_PERF_MAP", "1", 1), 0);
  std::string error;
  auto g = ir::parseGraph(kGraph, "net.ir", error);
  ASSERT_TRUE(g) << error;
  uintptr_t kernel = 0;
  {
    codegen::JitCompiler jit(1, 1);
    jit.add(*g, "net", 64);
    jit.compile(2);
    kernel = reinterpret_cast<uintptr_t>(jit.lookup("net"));
  }
  unsetenv("NNC_PERF_MAP");
  std::ifstream in(path);
  ASSERT_TRUE(in) << path << " was not written";
  bool kernelLine = false, microKernel = false;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string start, size, name;
    ASSERT_TRUE(ls >> start >> size >> name) << line;
    uintptr_t at = std::stoull(start, nullptr, 16), bytes = std::stoull(size, nullptr, 16);
    EXPECT_GT(bytes, 0u) << line;
    if (name == "net") {
      kernelLine = true;
      EXPECT_EQ(at, kernel) << line;
    }
    microKernel |= name.rfind("nnc.gemm.kernel.", 0) == 0;
  }
  EXPECT_TRUE(kernelLine);
  EXPECT_TRUE(microKernel);
  std::remove(path.c_str());
}

TEST(PerfMap, NothingWithoutTheVariable) {
  std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  std::remove(path.c_str());
  unsetenv("NNC_PERF_MAP");
  std::string error;
  auto g = ir::parseGraph(kGraph, "net.ir", error);
  ASSERT_TRUE(g) << error;
  codegen::JitCompiler jit(1, 1);
  jit.add(*g, "net", 64);
  jit.compile(2);
  ASSERT_NE(jit.lookup("net"), nullptr);
  EXPECT_FALSE(std::ifstream(path)) << path;
}

} // namespace
