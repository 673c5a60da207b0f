// oneDNN (Debian libdnnl-dev) sgemm GFLOP/s: what a C++ compiler could link for its matmuls,
// the bar of issue 6's GEMM rows.
// Adapted from ../shared/bench/dnnl_sgemm.c (square n = 128..1024, 5 runs of ~0.3 s, median):
// any shape and transposition, JSON output, and a --serve mode for bench/run_bench.py.
//
// Build: gcc -O2 -fopenmp dnnl_sgemm.c -ldnnl -o /tmp/dnnl_sgemm   (run_bench.py does this)
// Run:   OMP_NUM_THREADS=1 /tmp/dnnl_sgemm                     # n = 128, 256, 512, 1024
//        OMP_NUM_THREADS=2 /tmp/dnnl_sgemm 512 128,784,256,T,N  # shapes: N (square) or M,K,N[,TA,TB]
//        /tmp/dnnl_sgemm --serve [--min-time S]                # stdin lines "M K N TA TB" (TA/TB:
//            N or T), each answered with one timed run as a JSON line {"sec": s per call, ...}
//        (ONEDNN_VERBOSE=1 shows the ISA oneDNN picked; ONEDNN_MAX_CPU_ISA=AVX2 limits it)
// C[M,N] = op(A) op(B), row-major; op(A) is [M,K]: TA = T reads A stored as [K,M].
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return (x > y) - (x < y); }

typedef struct {
  long m, k, n;
  char ta, tb;
  float *A, *B, *C;
  long iters; // calls per timed run (calibrated)
} Shape;

static double min_time = 0.3;

static void call(Shape *s) {
  long lda = s->ta == 'N' ? s->k : s->m, ldb = s->tb == 'N' ? s->n : s->k;
  dnnl_status_t st = dnnl_sgemm(s->ta, s->tb, s->m, s->n, s->k, 1.f, s->A, lda, s->B, ldb, 0.f, s->C, s->n);
  if (st != dnnl_success) { fprintf(stderr, "dnnl_sgemm failed (%d)\n", (int)st); exit(1); }
}

// Allocates and fills the operands, warms up (oneDNN JITs its kernels on first use) and
// calibrates the number of calls per timed run to about min_time seconds.
static void prepare(Shape *s) {
  s->A = malloc(sizeof(float) * s->m * s->k); s->B = malloc(sizeof(float) * s->k * s->n);
  s->C = malloc(sizeof(float) * s->m * s->n);
  for (long i = 0; i < s->m * s->k; i++) s->A[i] = (float)rand() / RAND_MAX - 0.5f;
  for (long i = 0; i < s->k * s->n; i++) s->B[i] = (float)rand() / RAND_MAX - 0.5f;
  call(s);
  long n = 1; double spent = 0, t;
  for (;;) {
    double t0 = now();
    for (long i = 0; i < n; i++) call(s);
    t = now() - t0; spent += t;
    if (spent >= 0.1 && t >= 0.02) break;
    n *= 2;
  }
  s->iters = (long)(min_time / (t / n) + 0.5); if (s->iters < 1) s->iters = 1;
}

static double timed_run(Shape *s, long iters) {
  double t0 = now();
  for (long i = 0; i < iters; i++) call(s);
  return (now() - t0) / iters;
}

static int parse_shape(const char *arg, Shape *s) {
  memset(s, 0, sizeof *s); s->ta = s->tb = 'N';
  char ta = 'N', tb = 'N';
  int got = sscanf(arg, "%ld,%ld,%ld,%c,%c", &s->m, &s->k, &s->n, &ta, &tb);
  if (got == 1) { s->k = s->n = s->m; return 1; }
  s->ta = ta; s->tb = tb;
  return (got == 3 || got == 5) && s->m > 0 && s->k > 0 && s->n > 0 && (ta == 'N' || ta == 'T') && (tb == 'N' || tb == 'T');
}

static void version_json(void) {
  const dnnl_version_t *v = dnnl_version();
  printf("{\"ready\": true, \"lib\": \"oneDNN\", \"version\": \"%d.%d.%d\", \"threads\": %d}\n",
         v->major, v->minor, v->patch, omp_get_max_threads());
  fflush(stdout);
}

static int serve(void) {
  enum { kMax = 256 };
  static Shape cache[kMax]; int used = 0;
  version_json();
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    if (!strncmp(line, "quit", 4)) break;
    Shape want; long iters = 0; char ta = 'N', tb = 'N';
    memset(&want, 0, sizeof want);
    int got = sscanf(line, "%ld %ld %ld %c %c %ld", &want.m, &want.k, &want.n, &ta, &tb, &iters);
    if (got < 3 || want.m < 1 || want.k < 1 || want.n < 1) { printf("{\"error\": \"bad request\"}\n"); fflush(stdout); continue; }
    want.ta = got >= 4 ? ta : 'N'; want.tb = got >= 5 ? tb : 'N';
    Shape *s = NULL;
    for (int i = 0; i < used; i++)
      if (cache[i].m == want.m && cache[i].k == want.k && cache[i].n == want.n && cache[i].ta == want.ta && cache[i].tb == want.tb) s = &cache[i];
    if (!s) {
      if (used == kMax) { printf("{\"error\": \"too many shapes\"}\n"); fflush(stdout); continue; }
      s = &cache[used++]; *s = want; prepare(s);
    }
    long n = iters > 0 ? iters : s->iters;
    double sec = timed_run(s, n);
    printf("{\"m\": %ld, \"k\": %ld, \"n\": %ld, \"ta\": \"%c\", \"tb\": \"%c\", \"iters\": %ld, \"sec\": %.9g, \"gflops\": %.3f}\n",
           s->m, s->k, s->n, s->ta, s->tb, n, sec, 2.0 * s->m * s->k * s->n / sec / 1e9);
    fflush(stdout);
  }
  printf("{}\n");
  return 0;
}

int main(int argc, char **argv) {
  int n_shapes = 0, serving = 0; Shape shapes[64];
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--serve")) serving = 1;
    else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
    else if (n_shapes < 64 && parse_shape(argv[i], &shapes[n_shapes])) n_shapes++;
    else { fprintf(stderr, "usage: dnnl_sgemm [--serve] [--min-time S] [N | M,K,N[,TA,TB]]...\n"); return 1; }
  }
  if (serving) return serve();
  if (!n_shapes) {
    const char *def[] = {"128", "256", "512", "1024"};
    for (int i = 0; i < 4; i++) parse_shape(def[i], &shapes[n_shapes++]);
  }
  const dnnl_version_t *v = dnnl_version();
  printf("| lib | threads | M | K | N | op | GFLOP/s |\n|---|---|---|---|---|---|---|\n");
  for (int s = 0; s < n_shapes; s++) {
    Shape *sh = &shapes[s];
    prepare(sh);
    double ts[5];
    for (int r = 0; r < 5; r++) ts[r] = timed_run(sh, sh->iters);
    qsort(ts, 5, sizeof(double), cmp);
    printf("| oneDNN %d.%d sgemm | %d | %ld | %ld | %ld | %c%c | %.1f |\n", v->major, v->minor, omp_get_max_threads(),
           sh->m, sh->k, sh->n, sh->ta, sh->tb, 2.0 * sh->m * sh->k * sh->n / ts[2] / 1e9);
    fflush(stdout);
  }
  return 0;
}
