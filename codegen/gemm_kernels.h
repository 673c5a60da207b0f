// The GEMM's helper functions as LLVM IR (see gemm.h): micro-kernels and
// packing routines, emitted once per module and shared by its matmuls
// (looked up by name). Private to codegen/.
#pragma once
#include "codegen/gemm.h"
#include "codegen/loop_builder.h"

#include <functional>
#include <string>
#include <vector>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

namespace nnc::codegen {

/// How a micro-kernel finds A(r, k) of its mr x kc panel.
enum class APanel {
  RowPanels, // packed row-major A: row r at r * kcStride, k contiguous
  KMajor,    // packed transposed A: k-row at k * mr, r contiguous
  Strided,   // in place: A + r * rsA + k * csA (run-time strides)
};

class GemmKernels {
public:
  GemmKernels(llvm::Module &m, const GemmConfig &cfg);

  /// A fusion group's epilogue applied to a finished tile in registers (see
  /// TileEpilogue in lowering.h): `name` makes the kernel's name unique;
  /// `emit(f, block, i0, j0, mr, nv, tile, masks)` emits the epilogue at the end of
  /// `block` of kernel `f` for the tile's rows i0.. and columns j0..: tile[r *
  /// nv + v] is the C vector of row r, vector v; masks the same, the lanes
  /// that exist (null: all of them); returns the block it ends in.
  struct Epilogue {
    std::string name;
    std::function<llvm::BasicBlock *(llvm::Function *, llvm::BasicBlock *, llvm::Value *i0,
                                     llvm::Value *j0, int mr, int nv,
                                     const std::vector<llvm::Value *> &tile,
                                     const std::vector<llvm::Value *> &masks)>
        emit;
  };

  struct KernelSpec {
    APanel a;
    bool packedB; // B from packed panels (aligned, zero-padded), else in place (masked loads)
    int mr, nv;   // the tile: mr rows x nv vectors
    int panelMr = 0, panelNv = 0; // the packed panels' layout (0: mr, nv), when an
                                  // edge kernel reads panels packed for a larger tile
    bool compact = false;         // tiny shapes: every tile masked (less code)
    int unroll = 1;               // of the K loop
    /// With an epilogue the kernel takes the kernel ABI's arguments first and
    /// the tile's place and whether this K block is the last one at the end:
    ///   void(ptr bindings, i64 batch, ptr workspace, <the arguments below>,
    ///        i64 i0, i64 j0, i1 last)
    /// and on the last K block hands the finished tile to the epilogue
    /// instead of storing it to C.
    const Epilogue *epilogue = nullptr;
  };
  /// C[mr x nv*lanes] (+)= A panel x B panel over kc:
  ///   void(ptr A, i64 rsA, i64 csA, ptr B, i64 ldb, ptr C, i64 ldc, i64 kc,
  ///        i64 mValid, i64 nValid, i1 accumulate)
  /// B's k-row is at B + k * ldb (ldb is a constant for packed panels).
  /// Only rows < mValid and columns < nValid of C are read (when
  /// accumulating) and written.
  llvm::Function *microKernel(const KernelSpec &spec);
  /// Packs an mc x kc block of A into panels of mr rows (zero-padded):
  ///   void(ptr src, i64 ld, i64 mc, i64 kc, ptr dst)
  /// row-major (RowPanels): A(i, k) = src[i * ld + k];
  /// transposed (KMajor):   A(i, k) = src[k * ld + i].
  llvm::Function *packA(bool transposed, int mr);
  /// Packs a kc x n block of B into panels of nr = nv*lanes columns, panel p
  /// at dst + p * nr * kc, k-row at + k * nr, zero-padded past n:
  ///   void(ptr src, i64 ld, i64 kc, i64 n, ptr dst)
  /// row-major: B(k, j) = src[k * ld + j]; transposed: B(k, j) = src[j * ld + k].
  llvm::Function *packB(bool transposed, int nv);

private:
  llvm::Function *declare(const std::string &name, std::vector<llvm::Type *> args);
  llvm::Value *laneMask(llvm::IRBuilder<> &b, llvm::Value *valid, int64_t first);
  void copyRun(llvm::IRBuilder<> &b, llvm::Value *src, llvm::Value *dst, llvm::Value *n);

  llvm::Module &m_;
  GemmConfig cfg_;
  llvm::Type *f32_, *i64_, *ptr_;
  llvm::FixedVectorType *vec_, *mask_;
};

} // namespace nnc::codegen
