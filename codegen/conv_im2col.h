// The patches of an image for a stride-1 convolution ("im2col"), written
// straight into a GEMM operand's layout by generated code: col[k, p] =
// x[c, oy+ky-top, ox+kx-left] (0 in the padding) for k = (c, ky, kx) and
// output pixel p = (oy, ox). Used by lower_conv.cpp (B panels of the
// forward convolution) and lower_conv_grad.cpp (the filter gradient's A).
// Private to codegen/.
#pragma once
#include <cstdint>
#include <llvm/IR/IRBuilder.h>

namespace nnc::codegen {

/// Images [C,H,W], filter KH x KW, output rows OW wide, zero padding;
/// `chunk` input channels are packed per pass over the output rows (0: all).
struct Im2col {
  int64_t C, H, W, KH, KW, OW;
  int64_t top, left, bottom, right;
  int64_t chunk = 0;
};

/// Channels per im2col pass over the output rows: their k-rows (KH*KW per
/// channel, `width` floats each) in half of an L1 of l1Bytes (4 KiB-32 KiB
/// when unknown), so that each cache line of the panel is completed while it
/// is in L1 instead of being refetched once per output row.
int64_t im2colChunk(int64_t window, int64_t width, int64_t l1Bytes);

/// Writes col[k, p] for k in [k0, k0+kc) (whole channels: multiples of
/// KH*KW) and pixels p in [p0, pEnd) of image `x` (f32 [C,H,W]) into panels
/// of `width` pixels: panel q (pixels p0 + q*width ..) at dst + q*panelStride
/// floats, k-row k at + (k-k0)*width, lanes past pEnd in the last panel
/// zero. Each output row's run of pixels is copied a vector (`lanes` f32) at
/// a time; without padding only the run's length masks.
void emitIm2col(llvm::IRBuilder<> &b, int lanes, const Im2col &g, llvm::Value *x, llvm::Value *k0,
                llvm::Value *kc, llvm::Value *p0, llvm::Value *pEnd, llvm::Value *dst, int64_t width,
                llvm::Value *panelStride);

} // namespace nnc::codegen
