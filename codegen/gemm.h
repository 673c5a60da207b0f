// The generated GEMM behind every f32 matmul (C[M,N] = A[M,K] · B[K,N]):
// BLIS-style blocking plus a register-blocked micro-kernel emitted as LLVM
// vector IR for the target's widest vectors.
//
//   blocked path:
//     B packed once into panels of nr columns, K-blocked by kc, when that
//       pays (B transposed; or several row blocks and rows >= 2 KB apart);
//       else B is read in place
//     for each block of mc rows (ic):
//       for each K block (pc):
//         [pack A[ic.., pc..] into panels of mr rows: a transposed A whose
//          rows are half an L1 set span apart or more (the weight gradient
//          X^T dY), or with packA=1; else the micro-kernel reads A in place
//          with its strides]
//         for each B panel (jr): for each row panel (ir): micro-kernel
//       afterRow(i) for the block's rows (now final), unless the epilogue
//       runs on tiles: then the micro-kernel of the last K block hands its
//       tile, in registers, to the fused epilogue instead of storing it
//   threads (a kernel compiled for several, M*N*K >= parallelMinMacs):
//     the row blocks are split across them (B packed first, its K blocks in
//     parallel), or, when C is wider than tall and its epilogue runs on
//     tiles or not at all, the column panels (each thread packs and reads
//     only its columns of B: per thread M*K + K*N/t floats read instead of
//     M*K/t + K*N); each C element is computed as on one thread.
//   narrow N and a transposed A (X^T dY, the weight gradient of a layer with
//     fewer outputs than a vector has lanes): C^T = dY^T X is computed, with
//     the wide side in the lanes, and copied to C transposed; the same sums
//     in the same order.
//   direct path (tiny shapes, M*N*K <= directMaxMacs): one K block, A and B
//     read in place (a transposed B is packed); afterRow per row panel.
//
// The micro-kernel keeps an mr x nr tile of C in mr*nv vector registers over
// the K block (per k: one broadcast of an A element per row, nv vector loads
// of B, mr*nv llvm.fmuladd), then adds it to C (a later K block) or stores
// it. Edge tiles use masked loads and stores; where an edge wastes more than
// 2% of the work, a kernel with fewer rows or vectors takes it. A transposed
// operand (a transpose node) is read through with swapped strides, and
// lower_graph.cpp skips a transpose whose only readers are matmuls.
//
// The config comes from the CPU being compiled for (JIT: the host, with the
// OS's cache sizes; AOT: --target/--cpu), by the analytic model of
// gemm_blocking.h (register tile, kc, mc, when to pack B); --stats says what
// was chosen and why. Developer override (benchmarks, tests), any subset:
//   NNC_GEMM="lanes=8,mr=6,nv=2,kc=256,mc=96,ku=2,packa=1,packb=0,dmr=4,direct=32768,par=2097152,on=1"
// lanes is capped at what the target supports; lanes=1 is plain scalar code;
// on=0 switches to the reference loop nest.
#pragma once
#include "ir/graph.h"

#include <cstdint>
#include <string>
#include <unordered_set>

namespace llvm {
class TargetMachine;
}

namespace nnc::codegen {

struct GemmConfig {
  int lanes = 1;            // f32 lanes per vector register
  int mr = 4, nv = 2;       // micro-tile: mr rows x (nv * lanes) columns
  int64_t kc = 256;         // K block: the accumulators go to C once per kc
  int64_t mc = 144;         // M block (a multiple of mr): rows finished together (afterRow)
  int kUnroll = 2;          // the micro-kernel's K loop is unrolled this often
  bool enabled = true;      // false: the reference loop nest (for comparisons)
  int packA = -1;           // blocked path: 1 pack A, 0 read it in place, -1 decide by shape
  int packB = -1;           // blocked path, row-major B: 1 pack, 0 read in place, -1 decide by shape
  int directMr = 4;         // the direct path's tile: directMr x (nv * lanes)
  int64_t directMaxMacs = 32768; // M*N*K (B = maxBatch) at or below: direct path
  /// Blocked path, M*N*K (B = maxBatch) at or above: the rows are split
  /// across threads (when the kernel has more than one). Below, the hand-off
  /// and moving operands between cores cost what the split saves (the
  /// 64-128-10 step's 2^20-MAC GEMMs were no faster on two threads).
  int64_t parallelMinMacs = int64_t(1) << 21;

  int64_t l2Bytes = 0;        // per-GEMM row block: C's mc x N block in half of L2 (0: no bound)
  int64_t l1Bytes = 0;        // L1 data cache per core (0: unknown; im2col's channel chunks)
  int64_t l1SetSpan = 4096;   // B read in place with rows this far apart or more / 2: packed ...
  bool bStreams = false;      // ... unless its micro-panel streams from L2 anyway (kc x nr > L1)
  std::string cpu;            // the CPU description it was derived from (--stats)
  std::string why;            // the model's reasons (--stats)

  int nr() const { return nv * lanes; }
  /// Row stride (floats) of a packed A row panel (packA=1): kc padded so
  /// that the mr rows do not map to the same L1 sets.
  int64_t kcStride() const { return kc + 16; }
};

/// The config for a target machine (null: portable scalar code), then the
/// NNC_GEMM override.
GemmConfig gemmConfigFor(const llvm::TargetMachine *tm);

/// How one matmul is computed, decided from static shapes (B = maxBatch).
struct GemmPlan {
  enum Path { Naive, Direct, Blocked } path = Naive;
  /// What is read: the operands, or a transpose's operand (then trans*).
  const ir::Node *a = nullptr, *b = nullptr;
  bool transA = false, transB = false;
  bool packB = false;        // B is packed into the scratch area
  bool packA = false;        // blocked path: A's mc x kc blocks packed (one buffer per thread)
  int64_t aPackedBytes = 0;  // one thread's packed-A buffer (64-byte multiple)
  bool parallel = false;     // blocked path: rows split across the kernel's threads ...
  bool splitColumns = false; // ... or columns (C wider than tall: each thread reads less of B)
  /// Blocked path: C^T = B^T A^T is computed instead (a, b, trans*, maxM and
  /// maxN describe that product) into the scratch area at cOffset, then
  /// copied to C transposed.
  bool swapped = false;
  int64_t cOffset = 0;
  int mr = 1, nv = 1;        // the micro-tile of this matmul (nv may be less than cfg.nv for narrow N)
  int64_t mc = 1;            // blocked path: rows per block (a multiple of mr)
  int64_t maxM = 0, maxK = 0, maxN = 0;
  int64_t macs = 0;          // maxM * maxN * maxK
  int64_t scratchBytes = 0;  // packing buffers, including 64 bytes of alignment slack
  int64_t bPackedBytes = 0;  // offset of packed A after the (aligned) packed B
};

/// A matmul operand that is a transpose node whose operand has a buffer of
/// its own can be read through (the operand read with swapped strides).
bool readsThroughTranspose(const ir::Node *operand);
/// `readThrough`: the transposes that are not computed (lower_graph.cpp: those
/// read only by matmuls); the GEMM reads their operands. A transpose that is
/// computed anyway is read as it is.
/// `threads`: those of the kernel (a blocked matmul of at least
/// cfg.parallelMinMacs is split across them).
GemmPlan planGemm(const ir::Node &matmul, int64_t maxBatch, const GemmConfig &cfg,
                  const std::unordered_set<const ir::Node *> &readThrough, int threads = 1);

} // namespace nnc::codegen
