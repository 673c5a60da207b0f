#include "codegen/cpu_description.h"

#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Triple.h>

#include <fmt/format.h>
#include <fstream>
#include <map>
#include <sstream>

namespace nnc::codegen {

namespace {

struct Row {
  const char *names; // LLVM CPU names, space-separated
  int bits, regs, pipes, pipeBits, latency, loads, l2Bw;
  CacheLevel l1, l2, l3;
  const char *source;
};

constexpr int64_t K = 1024, M = 1024 * 1024;

// Sources: Intel 64 and IA-32 Architectures Optimization Reference Manual
// (2023), AMD Software Optimization Guides for families 17h/19h/1Ah, Arm
// Neoverse N1/N2/V1/V2 Software Optimization Guides, Agner Fog's
// microarchitecture guide and instruction tables (FMA latency, pipes).
// L3: one core's share of a typical part.
const Row kTable[] = {
    {"haswell broadwell", 256, 16, 2, 256, 5, 2, 32, {32 * K, 8}, {256 * K, 8}, {2 * M, 16},
     "Intel opt. manual; Agner Fog"},
    {"skylake kabylake coffeelake cometlake", 256, 16, 2, 256, 4, 2, 32, {32 * K, 8}, {256 * K, 4},
     {2 * M, 16}, "Intel opt. manual"},
    {"alderlake raptorlake meteorlake arrowlake lunarlake gracemont", 256, 16, 2, 256, 4, 3, 32,
     {48 * K, 12}, {1280 * K, 10}, {3 * M, 12}, "Intel opt. manual (P-core)"},
    {"skylake-avx512 cascadelake cooperlake", 512, 32, 2, 512, 4, 2, 32, {32 * K, 8}, {1 * M, 16},
     {1408 * K, 11}, "Intel opt. manual (2 FMA units: Gold 6xxx/Platinum)"},
    {"icelake-server", 512, 32, 2, 512, 4, 2, 32, {48 * K, 12}, {1280 * K, 20}, {1536 * K, 12},
     "Intel opt. manual"},
    {"icelake-client tigerlake rocketlake cannonlake", 512, 32, 1, 512, 4, 2, 32, {48 * K, 12},
     {1280 * K, 20}, {2 * M, 16}, "Intel opt. manual (one 512-bit FMA: client cores)"},
    {"sapphirerapids emeraldrapids graniterapids", 512, 32, 2, 512, 4, 2, 32, {48 * K, 12},
     {2 * M, 16}, {1920 * K, 15}, "Intel opt. manual"},
    {"znver1", 256, 16, 2, 128, 5, 2, 16, {32 * K, 8}, {512 * K, 8}, {2 * M, 16},
     "AMD 17h opt. guide"},
    {"znver2", 256, 16, 2, 256, 5, 2, 16, {32 * K, 8}, {512 * K, 8}, {4 * M, 16},
     "AMD 17h opt. guide"},
    {"znver3", 256, 16, 2, 256, 4, 2, 16, {32 * K, 8}, {512 * K, 8}, {4 * M, 16},
     "AMD 19h opt. guide"},
    {"znver4", 512, 32, 2, 256, 4, 1, 16, {32 * K, 8}, {1 * M, 8}, {4 * M, 16},
     "AMD 19h opt. guide (512-bit ops on 256-bit pipes)"},
    {"znver5", 512, 32, 2, 512, 4, 2, 32, {48 * K, 12}, {1 * M, 16}, {4 * M, 16},
     "AMD 1Ah opt. guide"},
    {"neoverse-n1 ampere1", 128, 32, 2, 128, 4, 2, 16, {64 * K, 4}, {1 * M, 8}, {1 * M, 16},
     "Arm Neoverse N1 SWOG"},
    {"neoverse-n2 neoverse-n3", 128, 32, 2, 128, 4, 3, 32, {64 * K, 4}, {1 * M, 8}, {1 * M, 16},
     "Arm Neoverse N2 SWOG"},
    {"neoverse-v1 neoverse-v2 neoverse-v3", 128, 32, 4, 128, 4, 3, 32, {64 * K, 4}, {1 * M, 8},
     {1 * M, 16}, "Arm Neoverse V1/V2 SWOG"},
    {"apple-m1 apple-m2 apple-m3 apple-a14 apple-a15 apple-a16", 128, 32, 4, 128, 4, 3, 32,
     {128 * K, 8}, {3 * M, 12}, {0, 0}, "Apple M1 (measured by others; L2 shared by 4)"},
};

/// Generic descriptions by vector width when the CPU is not in the table.
CpuDescription generic(int bits, bool aarch64) {
  CpuDescription d;
  d.name = aarch64 ? "generic-aarch64" : "generic-" + std::to_string(bits);
  d.source = "generic (CPU not in the table)";
  d.vectorBits = bits;
  d.vectorRegs = aarch64 || bits >= 512 ? 32 : 16;
  d.fmaPipes = 2;
  d.fmaPipeBits = bits > 0 ? bits : 128;
  d.fmaLatency = bits == 256 ? 5 : 4;
  d.loadsPerCycle = 2;
  d.l2BytesPerCycle = 16;
  d.l1 = {aarch64 ? 64 * K : 32 * K, aarch64 ? 4 : 8};
  d.l2 = {bits >= 512 || aarch64 ? 1 * M : 256 * K, bits >= 512 ? 16 : 8};
  d.l3 = {2 * M, 16};
  return d;
}

std::string readLine(const std::string &path) {
  std::ifstream f(path);
  std::string s;
  std::getline(f, s);
  return s;
}

/// "32K", "1024K", "2M" (sysfs) in bytes; 0 if unreadable.
int64_t parseSize(const std::string &s) {
  try {
    size_t used = 0;
    int64_t v = std::stoll(s, &used);
    char unit = used < s.size() ? s[used] : 0;
    return unit == 'K' ? v * K : unit == 'M' ? v * M : unit == 'G' ? v * 1024 * M : v;
  } catch (...) {
    return 0;
  }
}

/// Number of CPUs in a sysfs list such as "0-3,8-11".
int countCpus(const std::string &list) {
  int n = 0;
  std::stringstream ss(list);
  std::string part;
  while (std::getline(ss, part, ',')) {
    size_t dash = part.find('-');
    try {
      n += dash == std::string::npos ? 1 : std::stoi(part.substr(dash + 1)) - std::stoi(part) + 1;
    } catch (...) {
    }
  }
  return n > 0 ? n : 1;
}

std::string size(int64_t b) {
  return b >= M && b % M == 0 ? fmt::format("{} MiB", b / M)
         : b >= K             ? fmt::format("{} KiB", b / K)
                              : fmt::format("{} B", b);
}

} // namespace

std::optional<CpuDescription> knownCpu(const std::string &llvmCpu) {
  for (const Row &r : kTable) {
    std::stringstream names(r.names);
    std::string n;
    while (names >> n)
      if (n == llvmCpu) {
        CpuDescription d;
        d.name = llvmCpu;
        d.source = r.source;
        d.vectorBits = r.bits, d.vectorRegs = r.regs;
        d.fmaPipes = r.pipes, d.fmaPipeBits = r.pipeBits, d.fmaLatency = r.latency;
        d.loadsPerCycle = r.loads, d.l2BytesPerCycle = r.l2Bw;
        d.l1 = r.l1, d.l2 = r.l2, d.l3 = r.l3;
        return d;
      }
  }
  return std::nullopt;
}

std::vector<std::string> knownCpuNames() {
  std::vector<std::string> all;
  for (const Row &r : kTable) {
    std::stringstream names(r.names);
    std::string n;
    while (names >> n)
      all.push_back(n);
  }
  return all;
}

HostCaches readHostCaches() {
  HostCaches h;
  for (int i = 0; i < 8; ++i) {
    std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::string level = readLine(dir + "level"), type = readLine(dir + "type");
    if (level.empty())
      break;
    if (type != "Data" && type != "Unified")
      continue;
    CacheLevel c;
    c.bytes = parseSize(readLine(dir + "size"));
    try {
      c.ways = std::stoi(readLine(dir + "ways_of_associativity"));
      c.lineBytes = std::stoi(readLine(dir + "coherency_line_size"));
    } catch (...) {
    }
    if (level == "1")
      h.l1 = c;
    else if (level == "2")
      h.l2 = c;
    else if (level == "3") {
      h.l3SharedBy = countCpus(readLine(dir + "shared_cpu_list"));
      c.bytes /= h.l3SharedBy;
      h.l3 = c;
    }
  }
  return h;
}

CpuDescription describeTarget(const llvm::TargetMachine *tm, bool host) {
  if (!tm)
    return generic(0, false);
  const llvm::Triple &t = tm->getTargetTriple();
  const llvm::MCSubtargetInfo *sti = tm->getMCSubtargetInfo();
  bool x86 = t.getArch() == llvm::Triple::x86_64 || t.getArch() == llvm::Triple::x86;
  bool arm = t.getArch() == llvm::Triple::aarch64;
  int bits = 0;
  if (x86)
    bits = sti->checkFeatures("+avx512f") ? 512 : sti->checkFeatures("+avx") ? 256
         : sti->checkFeatures("+sse2")    ? 128 : 0;
  else if (arm && sti->checkFeatures("+neon"))
    bits = 128;
  std::string cpu = tm->getTargetCPU().str();
  CpuDescription d = knownCpu(cpu).value_or(generic(bits, arm));
  if (d.name.rfind("generic", 0) == 0 && !cpu.empty() && cpu != "generic")
    d.name = cpu + " (" + d.name + ")";
  if (bits != d.vectorBits) { // features switched off (or a generic CPU of the ISA level)
    d.vectorBits = bits;
    d.vectorRegs = arm || bits >= 512 ? 32 : 16;
  }
  if (host) {
    static const HostCaches h = readHostCaches(); // read once per process
    bool any = false;
    for (auto [os, mine] : {std::pair{&h.l1, &d.l1}, {&h.l2, &d.l2}, {&h.l3, &d.l3}})
      if (os->bytes > 0) {
        mine->bytes = os->bytes;
        if (os->ways > 0)
          mine->ways = os->ways;
        mine->lineBytes = os->lineBytes;
        any = true;
      }
    if (any)
      d.source += "; caches from the OS";
  }
  return d;
}

std::string describe(const CpuDescription &c) {
  return fmt::format("{}: {}-bit vectors x {} registers, {} FMA/cycle ({} x {}-bit pipes), "
                     "latency {}, {} loads/cycle, L2 {} B/cycle; L1d {} {}-way, L2 {} {}-way, L3 {} per core "
                     "({})",
                     c.name, c.vectorBits, c.vectorRegs, c.fmaPerCycle(), c.fmaPipes, c.fmaPipeBits,
                     c.fmaLatency, c.loadsPerCycle, c.l2BytesPerCycle, size(c.l1.bytes), c.l1.ways, size(c.l2.bytes),
                     c.l2.ways, size(c.l3.bytes), c.source);
}

} // namespace nnc::codegen
