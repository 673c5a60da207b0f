// What the GEMM's blocking is derived from (gemm_blocking.h): one core's
// vector unit and data caches, for the CPU a kernel is compiled for.
//
// Figures per core, sizes in bytes. The vector unit (FMA pipes, latency,
// loads per cycle) cannot be read from the OS: it comes from a table of
// micro-architectures keyed by LLVM's CPU name (vendor optimization manuals
// and Agner Fog's instruction tables; the table says which). Caches come from
// the same table, and for the host from the OS (sysfs), which wins.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
}

namespace nnc::codegen {

struct CacheLevel {
  int64_t bytes = 0; // per core (an L3's share: total / cores sharing it); 0 = none
  int ways = 0;      // associativity
  int lineBytes = 64;
  /// Bytes between addresses that map to the same set (bytes / ways).
  int64_t setSpan() const { return ways > 0 ? bytes / ways : bytes; }
};

struct CpuDescription {
  std::string name;       // LLVM CPU name: znver5, sapphirerapids, neoverse-n1, ...
  std::string source;     // where the figures came from, for --stats
  int vectorBits = 0;     // the f32 vectors the kernels use: 512, 256, 128 (0: scalar)
  int vectorRegs = 16;    // architectural vector registers
  int fmaPipes = 1;       // FMA pipelines ...
  int fmaPipeBits = 128;  // ... each this wide (a wider FMA takes several: Zen 4's 512-bit)
  int fmaLatency = 4;     // cycles from an FMA to a dependent FMA
  int loadsPerCycle = 2;  // vector loads of vectorBits per cycle
  int l2BytesPerCycle = 16; // sustained L2 -> L1 bandwidth (about half the peak line fill rate)
  CacheLevel l1, l2, l3;

  int lanes() const { return vectorBits >= 64 ? vectorBits / 32 : 1; }
  /// FMAs of vectorBits width started per cycle (Zen 4, 512-bit: 2 pipes x 256 / 512 = 1).
  double fmaPerCycle() const {
    int bits = vectorBits > 0 ? vectorBits : 32;
    return bits <= fmaPipeBits ? fmaPipes : (double)fmaPipes * fmaPipeBits / bits;
  }
  /// f32 FLOP per cycle at the FMA peak (2 per lane per FMA).
  double peakFlopPerCycle() const { return 2.0 * fmaPerCycle() * lanes(); }
};

/// A micro-architecture of the table by LLVM CPU name (vector width its
/// widest: 512 for AVX-512 CPUs); nullopt if not in the table.
std::optional<CpuDescription> knownCpu(const std::string &llvmCpu);
/// The CPU names of the table (for tests and messages).
std::vector<std::string> knownCpuNames();

/// The description of what `tm` compiles for (null: portable scalar code):
/// the table's entry for its CPU, or a generic one for its vector width,
/// with the vector width its features allow (AVX-512, AVX, SSE, NEON).
/// `host`: the kernels run on this machine, so the OS's cache sizes replace
/// the table's where it reports them.
CpuDescription describeTarget(const llvm::TargetMachine *tm, bool host);

/// The OS's data caches of CPU 0 (Linux sysfs); levels it does not report
/// are left zero.
struct HostCaches {
  CacheLevel l1, l2, l3;
  int l3SharedBy = 1; // CPUs sharing the L3
};
HostCaches readHostCaches();

/// One line for --stats: name, vector unit, caches and their source.
std::string describe(const CpuDescription &cpu);

} // namespace nnc::codegen
