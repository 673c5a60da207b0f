// Shape arithmetic never wraps (ir/types.h): products that overflow int64 are
// nullopt from checkedNumElements and INT64_MAX from numElements and bytes;
// tensorSizeError draws the line at kMaxTensorElements, B counted as 1.
// (Before: numElements multiplied in int64, and UBSan reported the signed
// overflow for [4294967296,4294967296,4].)
#include "ir/types.h"

#include <gtest/gtest.h>
#include <limits>

using namespace nnc::ir;

namespace {
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
}

TEST(ShapeSize, ProductsThatOverflowAreNotWrapped) {
  Shape huge({4294967296, 4294967296, 4});
  EXPECT_FALSE(huge.checkedNumElements(1).has_value());
  EXPECT_EQ(huge.numElements(1), kMax);
  Shape nearMax({4, kMax});
  EXPECT_FALSE(nearMax.checkedNumElements(1).has_value());
  EXPECT_EQ((TensorType{DType::F32, nearMax}.bytes(1)), kMax);
  Shape batched({kBatch, int64_t(1) << 40});
  EXPECT_EQ(batched.numElements(1), int64_t(1) << 40);
  EXPECT_FALSE(batched.checkedNumElements(int64_t(1) << 24).has_value());
  // 2^40 elements * 2^20 rows * 8 bytes = 2^63: one past int64.
  EXPECT_EQ((TensorType{DType::F64, batched}.bytes(int64_t(1) << 20)), kMax);
  EXPECT_EQ((TensorType{DType::F32, batched}.bytes(int64_t(1) << 20)), int64_t(1) << 62);
}

TEST(ShapeSize, LimitIsTwoToTheFortyElementsWithBatchAsOne) {
  EXPECT_EQ(tensorSizeError({DType::F32, Shape({int64_t(1) << 20, int64_t(1) << 20})}), "");
  EXPECT_EQ(tensorSizeError({DType::F32, Shape({kBatch, int64_t(1) << 40})}), "");
  EXPECT_EQ(tensorSizeError({DType::F32, Shape({1048577, 1048577})}),
            "f32[1048577,1048577] has 1099513724929 elements (4.4 TB), more than the 2^40 "
            "(1099511627776) a tensor may have");
  EXPECT_EQ(tensorSizeError({DType::F32, Shape({kBatch, 1048577, 1048577})}),
            "f32[B,1048577,1048577] has 1099513724929 elements per sample (4.4 TB), more than the "
            "2^40 (1099511627776) a tensor may have");
  EXPECT_EQ(tensorSizeError({DType::F32, Shape({4294967296, 4294967296, 4})}),
            "f32[4294967296,4294967296,4] has 7.38e+19 elements (295 EB), more than the 2^40 "
            "(1099511627776) a tensor may have");
}
