#include "codegen/gemm_blocking.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <vector>
#include <fmt/format.h>

namespace nnc::codegen {

namespace {

int64_t roundDown(int64_t v, int64_t m) { return v / m * m; }
int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

} // namespace

Estimate estimateKernel(const CpuDescription &cpu, int mr, int nv, int64_t kc) {
  Estimate e;
  const int lanes = cpu.lanes();
  const double fma = cpu.fmaPerCycle(), loads = std::max(cpu.loadsPerCycle, 1);
  const int64_t nr = (int64_t)nv * lanes;
  const int ways = std::max(cpu.l1.ways, 2);
  e.bResident = (kc * (nr + mr) * 4) <= cpu.l1.bytes * (ways - 1) / ways;
  double work = mr * nv / fma;
  e.fma = std::max(work, (double)cpu.fmaLatency); // each accumulator waits for its last FMA
  e.loads = (mr + nv) / loads;
  e.l2 = ((e.bResident ? 0 : nr * 4) + mr * 4) / (double)std::max(cpu.l2BytesPerCycle, 1);
  e.c = 2.0 * mr * nv / loads / (double)kc;
  e.efficiency = work / (std::max({e.fma, e.loads, e.l2}) + e.c);
  return e;
}

GemmBlocking chooseGemmBlocking(const CpuDescription &cpu) {
  GemmBlocking g;
  g.lanes = cpu.lanes();
  const int regs = std::max(cpu.vectorRegs, 4);
  const double fma = cpu.fmaPerCycle();
  const int ways = std::max(cpu.l1.ways, 2);
  const int64_t l1Use = cpu.l1.bytes * (ways - 1) / ways;
  const int64_t kcMin = roundUp((int64_t)std::ceil(200.0 * fma / std::max(cpu.loadsPerCycle, 1)), 64);

  // Every tile that fits the registers, with kc either as long as keeps
  // B's micro-panel in L1 or the C-update bound (B then streams from L2).
  // Of those within 1 % of the best estimated efficiency: the most FMAs per
  // loaded vector, then the longer kc.
  struct Choice { int mr = 0, nv = 0; int64_t kc = 0, kcL1 = 0; Estimate e; };
  std::vector<Choice> all;
  for (int nv : {1, 2, 4, 8}) {
    if (nv == 8 && g.lanes > 4) // 8 vectors only of narrow ones (NEON, SSE: nr 32)
      continue;
    for (int mr = 1; mr <= 16; ++mr) {
      if (mr * nv + nv + 1 > regs) // accumulators, B's vectors, a broadcast
        break;
      int64_t nr = (int64_t)nv * g.lanes;
      int64_t kcL1 = std::min<int64_t>(roundDown(l1Use / ((mr + nr) * 4), 16), 512);
      for (int64_t kc : {kcL1, std::clamp(std::max(kcL1, kcMin), (int64_t)64, (int64_t)512)})
        if (kc >= 16)
          all.push_back({mr, nv, kc, kcL1, estimateKernel(cpu, mr, nv, kc)});
    }
  }
  double top = 0;
  for (const Choice &c : all)
    top = std::max(top, c.e.efficiency);
  Choice best;
  auto key = [](const Choice &c) { return std::tuple((double)c.mr * c.nv / (c.mr + c.nv), c.kc); };
  for (const Choice &c : all)
    if (c.e.efficiency >= top - 0.01 && (!best.mr || key(c) > key(best)))
      best = c;
  g.mr = best.mr, g.nv = best.nv, g.kc = best.kc;
  g.bStreams = !best.e.bResident;
  const int64_t nr = (int64_t)g.nv * g.lanes;

  // mc: A's block in half of L2.
  g.l2Bytes = cpu.l2.bytes;
  g.l1Bytes = cpu.l1.bytes;
  g.l1SetSpan = cpu.l1.setSpan() > 0 ? cpu.l1.setSpan() : 4096;
  int64_t mc = cpu.l2.bytes / 2 / (g.kc * 4);
  g.mc = std::max<int64_t>(g.mr, roundDown(std::min<int64_t>(mc, 1024), g.mr));

  const Estimate &e = best.e;
  g.why = fmt::format(
      "tile {}x{} ({} rows x {} vectors of {} lanes): {} accumulators for FMA latency {} x {} "
      "FMA/cycle, {} of {} registers, {:.2f} FMAs per loaded vector\n"
      "kc {}: B's {}x{} micro-panel {} L1 (in {} of {} ways it could be {} long); the C "
      "tile's update under 1 % needs {}\n"
      "estimate per k: FMA {:.1f} cycles, loads {:.1f}, L2 {:.1f} (at {} B/cycle), C {:.2f}: "
      "{:.0f} % of the FMA peak in the micro-kernel\n"
      "mc {}: A's {}x{} block in half of the {} KiB L2 (per GEMM at most C's mc x N block in "
      "half)",
      g.mr, nr, g.mr, g.nv, g.lanes, g.mr * g.nv, cpu.fmaLatency, fma, g.mr * g.nv + g.nv + 1, regs,
      (double)g.mr * g.nv / (g.mr + g.nv), g.kc, g.kc, nr,
      e.bResident ? "stays in" : "streams from L2 through", ways - 1, ways, best.kcL1, kcMin,
      e.fma, e.loads, e.l2, cpu.l2BytesPerCycle, e.c, 100 * e.efficiency, g.mc, g.mc, g.kc,
      cpu.l2.bytes / 1024);
  return g;
}

int64_t gemmRowBlock(int64_t mc, int mr, int64_t l2Bytes, int64_t n) {
  if (l2Bytes > 0 && n > 0)
    mc = std::min(mc, l2Bytes / 2 / (n * 4));
  return std::max<int64_t>(mr, roundDown(mc, mr));
}

} // namespace nnc::codegen
