// The GEMM's register tile and cache blocking, derived from a CPU description
// (cpu_description.h) by the analytic model of Low et al., "Analytical
// Modeling Is Enough for High-Performance BLIS", ACM TOMS 43(2), 2016,
// adapted to nnc's micro-kernel (gemm.h: per k, mr broadcasts of A, nv
// vector loads of B, mr x nv FMAs into accumulators held in registers):
//
//   tile  mr x nv vectors with mr*nv + nv + 1 <= vector registers
//         (accumulators, B's vectors, one broadcast), nv a power of two (layer
//         widths are), and kc either
//   kc    as long as keeps B's kc x nr micro-panel and A's mr x kc one in L1
//         with a way to spare (Low et al.'s k_c), or at least the kc at which
//         updating the C tile (2 mr nv vector loads/stores once per kc) costs
//         under 1 %: kc >= 200 x FMAs per cycle / loads per cycle;
//         of these the best by estimateKernel: the FMA pipes (mr*nv >= FMA
//         latency x FMAs per cycle is the BLIS rule), the load ports, L2's
//         bandwidth when B does not stay in L1, and C's update.
//   mc    A's mc x kc block in half of L2; per GEMM (gemmRowBlock) also
//         C's mc x N block in half of L2, as C is swept once per K block.
//   B     packed (gemm.h) when its micro-panel is to stay in L1, read in
//         place its rows would be half an L1 set span or more apart (a
//         micro-panel's rows then share a few L1 sets), and it is read for
//         several row blocks. A panel that streams from L2 is read in place
//         (measured on a Sapphire Rapids core, 6x64 tile, kc 256: packing
//         made 256x1024x1024 10 % slower, 1024^3 no faster).
#pragma once
#include "codegen/cpu_description.h"

#include <cstdint>
#include <string>

namespace nnc::codegen {

struct GemmBlocking {
  int lanes = 1;       // f32 lanes per vector (cpu.lanes())
  int mr = 1, nv = 1;  // the register tile: mr rows x nv vectors
  int64_t kc = 256;    // K block
  int64_t mc = 144;    // M block, a multiple of mr (before the per-GEMM C bound)
  int64_t l2Bytes = 0;      // for the per-GEMM bound on mc
  int64_t l1Bytes = 0;      // L1 data per core (0: unknown)
  int64_t l1SetSpan = 4096; // bytes between addresses of the same L1 set
  bool bStreams = false;    // B's kc x nr micro-panel does not stay in L1 (streams from L2)
  std::string why;     // one line per choice, for --stats
};

GemmBlocking chooseGemmBlocking(const CpuDescription &cpu);

/// The model's cycles per k step of an mr x nv micro-kernel with K block kc
/// (each term the bound of one resource; the step takes the largest, plus C's
/// update spread over kc) and the share of the FMA peak that leaves.
struct Estimate {
  bool bResident = false; // B's kc x nr micro-panel and A's mr x kc one fit L1 (a way spare)
  double fma = 0;   // mr*nv / FMA per cycle, at least the FMA latency
  double loads = 0; // (mr broadcasts + nv loads) / loads per cycle
  double l2 = 0;    // bytes from L2 (A's mr floats; B's nr unless resident) / L2 bytes per cycle
  double c = 0;     // C tile: 2 mr nv vector loads and stores once per kc
  double efficiency = 0;
};
Estimate estimateKernel(const CpuDescription &cpu, int mr, int nv, int64_t kc);

/// Rows per block for a GEMM with n columns: `blocking.mc`, at most what keeps
/// the mc x n block of C in half of L2 (at least mr), a multiple of mr.
int64_t gemmRowBlock(int64_t mc, int mr, int64_t l2Bytes, int64_t n);

} // namespace nnc::codegen
