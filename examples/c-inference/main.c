/* Predicts the iris species of every row of a CSV with the model compiled
 * ahead of time by nnc (see README.md):
 *   ./predict data.csv
 * The CSV has a header row, then IRIS_NUM_FEATURES numbers per row; further
 * columns (such as the label) are ignored. Prints one line per row: the
 * predicted class, then the probability of each class. Plain C99. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *path, long line, const char *what) {
  fprintf(stderr, "%s:%ld: error: %s\n", path, line, what);
  return 1;
}

int main(int argc, char **argv) {
  char text[4096];
  float *features = NULL, *probabilities;
  long rows = 0, capacity = 0, line = 1, r;
  int j, k, best;
  FILE *f;

  if (argc != 2) {
    fprintf(stderr, "usage: %s data.csv\n", argv[0]);
    return 1;
  }
  f = fopen(argv[1], "r");
  if (!f || !fgets(text, sizeof text, f)) /* the header row */
    return fail(argv[1], 0, "cannot read the file");
  while (fgets(text, sizeof text, f)) {
    char *cell = text, *end;
    ++line;
    if (strspn(text, " \t\r\n") == strlen(text))
      continue; /* blank line */
    if (rows == capacity) {
      capacity = capacity ? 2 * capacity : 256;
      features = (float *)realloc(features, (size_t)capacity * IRIS_NUM_FEATURES * sizeof *features);
      if (!features)
        return fail(argv[1], line, "out of memory");
    }
    for (j = 0; j < IRIS_NUM_FEATURES; ++j) {
      double v = strtod(cell, &end);
      if (end == cell || (*end != ',' && *end != '\n' && *end != '\r' && *end != '\0'))
        return fail(argv[1], line, "expected a number");
      if (j + 1 < IRIS_NUM_FEATURES && *end != ',')
        return fail(argv[1], line, "too few columns");
      features[rows * IRIS_NUM_FEATURES + j] = (float)v;
      cell = end + 1;
    }
    ++rows;
  }
  fclose(f);

  probabilities = (float *)malloc((size_t)(rows ? rows : 1) * IRIS_NUM_OUTPUTS * sizeof(float));
  if (!probabilities || iris_predict(features, rows, probabilities) != 0)
    return fail(argv[1], 0, "prediction failed");

  printf("predicted");
  for (k = 0; k < IRIS_NUM_CLASSES; ++k)
    printf(",p_%s", iris_class_names[k]);
  printf("\n");
  for (r = 0; r < rows; ++r) {
    const float *p = probabilities + r * IRIS_NUM_OUTPUTS;
    for (best = 0, k = 1; k < IRIS_NUM_OUTPUTS; ++k)
      if (p[k] > p[best])
        best = k;
    printf("%s", iris_class_names[best]);
    for (k = 0; k < IRIS_NUM_OUTPUTS; ++k)
      printf(",%.9g", p[k]);
    printf("\n");
  }
  free(features);
  free(probabilities);
  return 0;
}
