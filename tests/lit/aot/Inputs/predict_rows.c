/* Any emitted model, by macros: -DPREDICT=m_predict -DFEATURES=M_NUM_FEATURES
 * -DOUTPUTS=M_NUM_OUTPUTS. Reads a CSV (header, FEATURES numbers per row,
 * the rest ignored) on stdin and prints every output with 9 digits. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>

int main(void) {
  static float features[4096 * FEATURES], outputs[4096 * OUTPUTS];
  static char line[65536];
  long rows = 0, r;
  int j;
  if (!fgets(line, sizeof line, stdin))
    return 1;
  while (rows < 4096 && fgets(line, sizeof line, stdin)) {
    char *cell = line;
    for (j = 0; j < FEATURES; ++j) {
      features[rows * FEATURES + j] = strtof(cell, &cell);
      ++cell; /* the comma */
    }
    ++rows;
  }
  if (PREDICT(features, rows, outputs) != 0)
    return 1;
  for (r = 0; r < rows; ++r)
    for (j = 0; j < OUTPUTS; ++j)
      printf("%.9g%s", outputs[r * OUTPUTS + j], j + 1 == OUTPUTS ? "\n" : ",");
  return 0;
}
