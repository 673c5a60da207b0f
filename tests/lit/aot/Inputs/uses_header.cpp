// The emitted header as C++: extern "C" linkage, the constants and the tables.
#include "model.h"

#include <cstdio>
#include <vector>

int main() {
  std::vector<float> features(2 * PLAIN_NUM_FEATURES, 1.0f), outputs(2 * PLAIN_NUM_OUTPUTS, -1.0f);
  if (plain_predict(features.data(), 2, outputs.data()) != 0)
    return 1;
  std::printf("classes %d: %s", PLAIN_NUM_CLASSES, plain_class_names[0]);
  for (int k = 1; k < PLAIN_NUM_CLASSES; ++k)
    std::printf(" %s", plain_class_names[k]);
  float sum = 0;
  for (int k = 0; k < PLAIN_NUM_OUTPUTS; ++k)
    sum += outputs[PLAIN_NUM_OUTPUTS + k];
  std::printf("\nsum %.3f\n", sum);
  std::printf("rows -1: %d\n", plain_predict(features.data(), -1, outputs.data()));
  std::printf("null: %d\n", plain_predict(nullptr, 1, outputs.data()));
  std::printf("rows 0, null: %d\n", plain_predict(nullptr, 0, nullptr));
  return 0;
}
