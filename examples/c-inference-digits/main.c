/* Classifies 8x8 digit images with the convolutional net examples/digits_cnn.nn
 * compiled ahead of time by nnc (see README.md):
 *   ./classify digits.csv
 * The CSV has a header row, then one image per row: its pixels in row-major
 * order (DIGITS_CNN_NUM_FEATURES = channels x height x width numbers); further
 * columns (such as the label) are ignored. Prints one line per image, as
 * `nnc --predict` does: the predicted digit, then the probability of each
 * digit. Plain C99. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The header gives the image's shape; a row of features is one whole image. */
#if DIGITS_CNN_NUM_FEATURES !=                                                                     \
    DIGITS_CNN_INPUT_CHANNELS * DIGITS_CNN_INPUT_HEIGHT * DIGITS_CNN_INPUT_WIDTH
#error "model.h: a row of features is not one image"
#endif

static int fail(const char *path, long line, const char *what) {
  fprintf(stderr, "%s:%ld: error: %s\n", path, line, what);
  return 1;
}

int main(int argc, char **argv) {
  char text[16384];
  float *images = NULL, *probabilities;
  long rows = 0, capacity = 0, line = 1, r;
  int j, k, best;
  FILE *f;

  if (argc != 2) {
    fprintf(stderr, "usage: %s digits.csv\n", argv[0]);
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
      images =
          (float *)realloc(images, (size_t)capacity * DIGITS_CNN_NUM_FEATURES * sizeof *images);
      if (!images)
        return fail(argv[1], line, "out of memory");
    }
    /* The columns are the pixels in row-major (channel, row, column) order:
     * pixel (c, y, x) is column (c * HEIGHT + y) * WIDTH + x, as the model reads it. */
    for (j = 0; j < DIGITS_CNN_NUM_FEATURES; ++j) {
      double v = strtod(cell, &end);
      if (end == cell || (*end != ',' && *end != '\n' && *end != '\r' && *end != '\0'))
        return fail(argv[1], line, "expected a number");
      if (j + 1 < DIGITS_CNN_NUM_FEATURES && *end != ',')
        return fail(argv[1], line, "too few columns");
      images[rows * DIGITS_CNN_NUM_FEATURES + j] = (float)v;
      cell = end + 1;
    }
    ++rows;
  }
  fclose(f);

  probabilities =
      (float *)malloc((size_t)(rows ? rows : 1) * DIGITS_CNN_NUM_OUTPUTS * sizeof(float));
  if (!probabilities || digits_cnn_predict(images, rows, probabilities) != 0)
    return fail(argv[1], 0, "prediction failed");

  printf("predicted");
  for (k = 0; k < DIGITS_CNN_NUM_CLASSES; ++k)
    printf(",p_%s", digits_cnn_class_names[k]);
  printf("\n");
  for (r = 0; r < rows; ++r) {
    const float *p = probabilities + r * DIGITS_CNN_NUM_OUTPUTS;
    for (best = 0, k = 1; k < DIGITS_CNN_NUM_OUTPUTS; ++k)
      if (p[k] > p[best])
        best = k;
    printf("%s", digits_cnn_class_names[best]);
    for (k = 0; k < DIGITS_CNN_NUM_OUTPUTS; ++k)
      printf(",%.9g", p[k]);
    printf("\n");
  }
  free(images);
  free(probabilities);
  return 0;
}
