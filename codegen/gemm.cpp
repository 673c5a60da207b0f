#include "codegen/gemm.h"
#include "codegen/gemm_blocking.h"

#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace nnc::codegen {

using namespace llvm;

namespace {

int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

/// The config of a blocking (gemm_blocking.h).
void apply(GemmConfig &c, const GemmBlocking &g) {
  c.lanes = g.lanes;
  c.mr = g.mr, c.nv = g.nv, c.kc = g.kc, c.mc = g.mc;
  c.directMr = std::min(g.mr, 4);
  c.l2Bytes = g.l2Bytes, c.l1Bytes = g.l1Bytes, c.l1SetSpan = g.l1SetSpan, c.bStreams = g.bStreams;
  c.why = g.why;
}

/// NNC_GEMM="lanes=8,mr=6,..." (developer override of the model's choice);
/// other lanes than the CPU's re-derive the tile for that width.
void applyOverride(GemmConfig &c, const CpuDescription &cpu) {
  const char *env = std::getenv("NNC_GEMM");
  if (!env || !*env)
    return;
  std::string s = env;
  GemmConfig o = c;
  bool tileGiven = false;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t comma = s.find(',', pos);
    std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? s.size() : comma + 1;
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw std::runtime_error("NNC_GEMM: expected key=value, got '" + item + "'");
    std::string key = item.substr(0, eq);
    int64_t v = std::stoll(item.substr(eq + 1));
    if (key == "lanes") {
      int l = 1;
      while (l * 2 <= v && l * 2 <= cpu.lanes())
        l *= 2;
      o.lanes = l;
    } else if (key == "mr") o.mr = (int)v, tileGiven = true;
    else if (key == "nv") o.nv = (int)v, tileGiven = true;
    else if (key == "kc") o.kc = v, tileGiven = true;
    else if (key == "mc") o.mc = v, o.l2Bytes = 0, tileGiven = true;
    else if (key == "dmr") o.directMr = (int)v, tileGiven = true;
    else if (key == "ku") o.kUnroll = (int)v;
    else if (key == "packa") o.packA = (int)v;
    else if (key == "on") o.enabled = v != 0;
    else if (key == "packb") o.packB = (int)v;
    else if (key == "direct") o.directMaxMacs = v;
    else if (key == "par") o.parallelMinMacs = v;
    else
      throw std::runtime_error("NNC_GEMM: unknown key '" + key + "'");
  }
  if (o.lanes != c.lanes && !tileGiven) {
    CpuDescription narrow = cpu;
    narrow.vectorBits = o.lanes > 1 ? o.lanes * 32 : 0;
    GemmConfig t = o;
    apply(t, chooseGemmBlocking(narrow));
    o.mr = t.mr, o.nv = t.nv, o.kc = t.kc, o.mc = t.mc, o.directMr = t.directMr;
  }
  if (o.mr < 1 || o.nv < 1 || o.kc < 1 || o.directMr < 1 || o.kUnroll < 1)
    throw std::runtime_error("NNC_GEMM: tile sizes must be positive");
  o.mc = std::max<int64_t>(o.mr, o.mc / o.mr * o.mr);
  o.why += "\nNNC_GEMM=" + s + " overrides it";
  c = o;
}

/// Whether `tm` compiles for this machine (then the OS's cache sizes count).
bool isHost(const TargetMachine &tm) {
  return tm.getTargetCPU() == sys::getHostCPUName() &&
         tm.getTargetTriple().getArch() == Triple(sys::getProcessTriple()).getArch();
}

} // namespace

GemmConfig gemmConfigFor(const TargetMachine *tm) {
  CpuDescription cpu = describeTarget(tm, tm && isHost(*tm));
  GemmConfig c;
  apply(c, chooseGemmBlocking(cpu));
  c.cpu = describe(cpu);
  applyOverride(c, cpu);
  return c;
}

bool readsThroughTranspose(const ir::Node *operand) {
  if (operand->kind != ir::OpKind::Transpose)
    return false;
  const ir::Node *x = operand->operand(0);
  return x->shape().rank() == 2 && x->kind != ir::OpKind::Constant &&
         x->kind != ir::OpKind::BatchSize;
}

GemmPlan planGemm(const ir::Node &mm, int64_t maxBatch, const GemmConfig &cfg,
                  const std::unordered_set<const ir::Node *> &readThrough, int threads) {
  GemmPlan p;
  const ir::Node *a = mm.operand(0), *b = mm.operand(1);
  auto size = [&](int64_t d) { return d == ir::kBatch ? maxBatch : d; };
  p.maxM = a->shape().rank() == 2 ? size(a->shape().dims[0]) : 1;
  p.maxK = size(b->shape().dims[0]);
  p.maxN = size(b->shape().dims[1]);
  p.a = a, p.b = b;
  if (readThrough.count(a))
    p.a = a->operand(0), p.transA = true;
  if (readThrough.count(b))
    p.b = b->operand(0), p.transB = true;
  auto hasBuffer = [](const ir::Node *n) {
    return n->kind != ir::OpKind::Constant && n->kind != ir::OpKind::BatchSize;
  };
  if (!cfg.enabled || mm.type.dtype != ir::DType::F32 || !hasBuffer(p.a) || !hasBuffer(p.b))
    return p; // naive loops (f64, splat constants)

  int64_t macs = p.macs = p.maxM * p.maxN * p.maxK;
  p.path = macs <= cfg.directMaxMacs || p.maxM < 2 ? GemmPlan::Direct : GemmPlan::Blocked;
  // Narrow N with a transposed A: C^T = B^T A^T keeps every lane busy
  // (A^T is row-major; B^T is B read transposed in place).
  if (p.path == GemmPlan::Blocked && cfg.lanes > 1 && p.transA && !p.transB &&
      p.maxN < cfg.lanes && p.maxM >= 2 * cfg.lanes) {
    p.swapped = true;
    std::swap(p.a, p.b);
    std::swap(p.maxM, p.maxN);
  }
  // Narrow N: fewer vectors per row instead of computing masked-off columns.
  p.nv = (int)std::min<int64_t>(cfg.nv, (p.maxN + cfg.lanes - 1) / cfg.lanes);
  int64_t nr = (int64_t)p.nv * cfg.lanes;
  if (p.path == GemmPlan::Direct) {
    p.mr = cfg.directMr;
    p.packB = p.transB; // a transposed B is packed (one K block) so its rows are vectors
    if (p.packB)
      p.bPackedBytes = roundUp(p.maxK * roundUp(p.maxN, nr) * 4, 64);
    p.scratchBytes = p.packB ? 64 + p.bPackedBytes : 0;
    return p;
  }
  // Narrow N: the accumulators fewer vectors leave free take more rows; at
  // most 8 rows of a row-major A read in place (rows K*4 bytes apart may all
  // map to the same L1 set).
  p.mr = cfg.mr;
  if (p.nv < cfg.nv)
    p.mr = std::max(cfg.mr, std::min(cfg.mr * cfg.nv / p.nv, p.transA || cfg.packA == 1 ? 64 : 8));
  int64_t span = std::max<int64_t>(cfg.l1SetSpan, 64);
  // A read transposed in place (the weight gradient X^T dY): per k the tile's
  // mr floats come from row k of A's buffer, rows M*4 bytes apart; from half
  // an L1 set span apart a K block's rows share a few sets and no prefetcher
  // follows them. Packed k-major, each micro-panel is contiguous (measured on
  // a Sapphire Rapids core: 1024x256x1024 TN 1.36 -> 1.20 x the time of the
  // same-FLOP forward GEMM).
  p.packA = cfg.packA == 1 ||
            (cfg.packA < 0 && p.transA && !p.swapped && p.maxM * 4 >= span / 2);
  // Packing a row-major B pays when its micro-panels are to stay in L1,
  // are read for several row blocks and its rows are at least half an L1
  // set span apart (N >= 512 floats with 4 KiB spans: a micro-panel's rows
  // share a few L1 sets); not when they stream from L2 anyway (gemm_blocking.h).
  // Split across threads, each reads all of the B that the threads packed
  // together, so it pays later, from a whole span (measured on Zen 4: N = 512
  // and 768 on two threads were 3-10 % faster with B read in place, N = 1024
  // 10 % slower).
  p.parallel = threads > 1 && macs >= cfg.parallelMinMacs;
  // Row blocks of at most the model's mc, balanced (256 rows with mc 252
  // are two blocks of 128, not 252 + 4).
  int64_t mcMax = std::min(gemmRowBlock(cfg.mc, p.mr, cfg.l2Bytes, p.maxN), p.maxM);
  int64_t blocks = (p.maxM + mcMax - 1) / std::max<int64_t>(mcMax, 1);
  p.mc = roundUp((p.maxM + blocks - 1) / std::max<int64_t>(blocks, 1), p.mr);
  int64_t rowBytes = p.maxN * 4;
  p.packB = p.transB || cfg.packB == 1 ||
            (cfg.packB < 0 && !cfg.bStreams && p.maxM > p.mc &&
             rowBytes >= (p.parallel ? span : span / 2));
  // Columns split across threads when C is wider than tall, with two panels
  // or more per thread (lowerMatMul keeps rows for a row-wise epilogue).
  p.splitColumns = p.parallel && !p.swapped && p.maxN > p.maxM &&
                   (p.maxN + nr - 1) / nr >= 2 * threads;
  p.bPackedBytes = p.packB ? roundUp(p.maxK * roundUp(p.maxN, nr) * 4, 64) : 0;
  // One packed-A buffer per thread (lowerMatMul finds a part's from the
  // part's first iteration, runtime/parallel_for.h).
  p.aPackedBytes = p.packA ? roundUp(p.mc * std::max(cfg.kcStride(), cfg.kc) * 4, 64) : 0;
  int64_t aBytes = p.aPackedBytes * (p.parallel ? threads : 1);
  int64_t cBytes = p.swapped ? roundUp(p.maxM * p.maxN * 4, 64) : 0;
  p.cOffset = p.bPackedBytes + aBytes;
  p.scratchBytes = p.packB || p.packA || p.swapped ? 64 + p.bPackedBytes + aBytes + cBytes : 0;
  return p;
}

} // namespace nnc::codegen
