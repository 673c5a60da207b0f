// Finite-difference f64 gradient checks of the window ops (conv2d and
// pooling, their gradient ops lowered in codegen/lower_window.cpp) through
// the real pipeline, with the mutation-proof harness of gradient_check.h
// (each case also fails with the gradient zeroed or halved).
//
// Seen failing (each mutation of codegen/lower_window.cpp made, rebuilt, run):
// - the stride left out of the range of outputs a filter offset reaches
//   (outputsInside dividing by 1, used by conv2d_grad_filter): the padded,
//   strided cases of ConvStrideTwo and ConvMixedStridesAndPadding failed
//   (errors 1.3 to 2; without padding every output is in range anyway);
// - conv2d_grad_input's covering range off by one (K-2 for K-1):
//   ConvStrideOne failed;
// - max_pool2d_grad routing every window to its first position: every
//   MaxPool case failed (error 1), and ConvPoolChain;
// - avg_pool2d_grad dividing by the whole window (kh*kw) instead of the
//   in-range count: the four padded AvgPool cases failed (0.32 to 0.75), the
//   unpadded ones passed, and ConvPoolChain failed.
#include "gradient_check.h"

#include <fmt/format.h>

using namespace nnc;
using gradcheck::expectGradientsMatch;
using gradcheck::GradientCheck;
using ir::Node;
using ir::Shape;
using ir::Window2D;

namespace {

using B = ir::Builder;
using Ins = std::vector<Node *>;

struct ConvCase {
  int64_t c, h, w, f, kh, kw;
  Window2D win; // stride and padding (the window comes from the filter)
  int64_t batch = ir::kBatch;
};

std::string str(const ConvCase &k) {
  return fmt::format("x[{},{},{},{}] w[{},{},{},{}] stride {}x{} padding {},{},{},{}",
                     k.batch == ir::kBatch ? "B" : std::to_string(k.batch), k.c, k.h, k.w, k.f, k.c,
                     k.kh, k.kw, k.win.sh, k.win.sw, k.win.top, k.win.left, k.win.bottom,
                     k.win.right);
}

Window2D strided(int64_t sh, int64_t sw, int64_t top = 0, int64_t left = 0, int64_t bottom = 0,
                 int64_t right = 0) {
  Window2D w;
  w.sh = sh, w.sw = sw, w.top = top, w.left = left, w.bottom = bottom, w.right = right;
  return w;
}

void checkConv(const ConvCase &k) {
  SCOPED_TRACE(str(k));
  GradientCheck c({{"x", Shape({k.batch, k.c, k.h, k.w})}, {"w", Shape({k.f, k.c, k.kh, k.kw})}},
                  [k](B &b, Ins &in) { return b.conv2d(in[0], in[1], k.win); });
  expectGradientsMatch(c);
}

// Strides {1,2}, paddings none / symmetric 1 / Keras-'same'-like asymmetric
// (0 before, 1 after), kernels 1x1 2x2 3x3 5x5 3x2, maps 5x7 and 6x6,
// channels {1,3}, filters {1,2,4}: each value appears, in varied pairings
// (the full product would be 360 compilations).
TEST(WindowGradient, ConvStrideOne) {
  for (ConvCase k :
       {ConvCase{1, 5, 7, 1, 3, 3, strided(1, 1)},
        ConvCase{3, 6, 6, 2, 3, 3, strided(1, 1, 1, 1, 1, 1)},
        ConvCase{1, 5, 7, 2, 2, 2, strided(1, 1, 0, 0, 1, 1)},
        ConvCase{3, 5, 7, 4, 1, 1, strided(1, 1)}, ConvCase{1, 5, 7, 1, 5, 5, strided(1, 1)},
        ConvCase{1, 6, 6, 2, 5, 5, strided(1, 1, 2, 2, 2, 2)},
        ConvCase{3, 5, 7, 4, 3, 2, strided(1, 1, 0, 0, 1, 1)}})
    checkConv(k);
}
TEST(WindowGradient, ConvStrideTwo) {
  for (ConvCase k : {ConvCase{3, 5, 7, 4, 3, 3, strided(2, 2, 1, 1, 1, 1)},
                     ConvCase{3, 6, 6, 1, 2, 2, strided(2, 2, 0, 0, 1, 1)},
                     ConvCase{1, 5, 7, 2, 2, 2, strided(2, 2)}, // the last row and column unread
                     ConvCase{1, 6, 6, 2, 1, 1, strided(2, 2)},
                     ConvCase{3, 6, 6, 2, 5, 5, strided(2, 2, 1, 1, 1, 1)},
                     ConvCase{1, 6, 6, 2, 3, 2, strided(2, 2, 1, 1, 1, 1)},
                     ConvCase{3, 5, 7, 4, 3, 3, strided(2, 2)}})
    checkConv(k);
}
TEST(WindowGradient, ConvMixedStridesAndPadding) {
  // Different strides and paddings along H and W, and a fixed batch.
  for (ConvCase k : {ConvCase{3, 5, 7, 2, 3, 2, strided(1, 2, 1, 0, 0, 1)},
                     ConvCase{1, 6, 6, 4, 2, 3, strided(2, 1, 0, 1, 1, 0)},
                     ConvCase{3, 6, 6, 2, 3, 3, strided(2, 2, 1, 1, 1, 1), 2}})
    checkConv(k);
}
TEST(WindowGradient, ConvThenReluChain) {
  // Two convolutions with a ReLU between them: grad_input feeds grad_filter.
  GradientCheck c({{"x", Shape({ir::kBatch, 1, 6, 6}), 0.1, 2},
                   {"w1", Shape({2, 1, 3, 3}), 0.1, 1},
                   {"w2", Shape({3, 2, 2, 2})}},
                  [](B &b, Ins &in) {
                    Node *h = b.unary(ir::OpKind::Relu,
                                      b.conv2d(in[0], in[1], strided(1, 1, 1, 1, 1, 1)));
                    return b.conv2d(h, in[2], strided(2, 2));
                  });
  expectGradientsMatch(c);
}

struct PoolCase {
  int64_t h, w;
  Window2D win;
};

Window2D pool(int64_t k, int64_t s, int64_t top = 0, int64_t left = 0, int64_t bottom = 0,
              int64_t right = 0) {
  Window2D w = strided(s, s, top, left, bottom, right);
  w.kh = w.kw = k;
  return w;
}

// 2x2 stride 2, 3x3 stride 2 with padding, 2x2 stride 1 (overlapping
// windows), and 2x2 stride 2 with the padding after (Keras 'same' on an odd
// map), on 6x6 and 5x7 maps, 3 channels. Inputs are distinct values (no
// ties, no change of the maximum within a difference step).
const std::vector<PoolCase> kPools = {
    {6, 6, pool(2, 2)},
    {5, 7, pool(2, 2)},
    {5, 7, pool(3, 2, 1, 1, 1, 1)},
    {6, 6, pool(3, 2, 1, 1, 0, 0)},
    {6, 6, pool(2, 1)},
    {5, 7, pool(2, 1)},
    {5, 7, pool(2, 2, 0, 0, 1, 1)},
    {6, 6, pool(3, 1, 1, 1, 1, 1)},
};

void checkPool(bool isMax) {
  for (const PoolCase &p : kPools) {
    SCOPED_TRACE(fmt::format("{} on {}x{}: {}x{} stride {} padding {},{},{},{}",
                             isMax ? "max" : "avg", p.h, p.w, p.win.kh, p.win.kw, p.win.sh,
                             p.win.top, p.win.left, p.win.bottom, p.win.right));
    GradientCheck c({{"x", Shape({ir::kBatch, 3, p.h, p.w}), -2, 2, /*distinct=*/true}},
                    [&](B &b, Ins &in) {
                      return isMax ? b.maxPool2d(in[0], p.win) : b.avgPool2d(in[0], p.win);
                    });
    expectGradientsMatch(c);
  }
}
TEST(WindowGradient, MaxPool) { checkPool(true); }
TEST(WindowGradient, AvgPool) { checkPool(false); }

TEST(WindowGradient, ConvPoolChain) {
  // conv -> max pool -> avg pool: pooling gradients feed the convolution's.
  GradientCheck c({{"x", Shape({ir::kBatch, 3, 6, 6}), -2, 2, true}, {"w", Shape({2, 3, 3, 3})}},
                  [](B &b, Ins &in) {
                    Node *y = b.conv2d(in[0], in[1], strided(1, 1, 1, 1, 1, 1));
                    return b.avgPool2d(b.maxPool2d(y, pool(2, 2)), pool(2, 1, 0, 0, 1, 1));
                  });
  expectGradientsMatch(c);
}

} // namespace
