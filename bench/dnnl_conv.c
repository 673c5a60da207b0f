// oneDNN (Debian libdnnl-dev, 2.6) convolution primitives: GFLOP/s of forward
// (training), backward-data and backward-weights on given shapes, the bar of
// issue 14's convolution rows. oneDNN picks its own memory layouts
// (format_tag_any, e.g. nChw16c): the peer at its best, reorders not timed.
// No bias (nnc fuses it into the epilogue).
//
// Build: gcc -O2 -fopenmp dnnl_conv.c -ldnnl -o /tmp/dnnl_conv
// Run:   OMP_NUM_THREADS=1 /tmp/dnnl_conv [--json] N,C,H,W,F,KH,KW,PAD ...
//        (PAD: zero padding on every side; stride 1.) Each primitive: calls
//        repeated for ~0.3 s, best of 5 such runs.
//        /tmp/dnnl_conv --serve [--min-time S] N,C,H,W,F,KH,KW,PAD: the worker
//        mode of bench/run_bench.py (one shape): builds the three primitives,
//        warms up and calibrates each to ~S s (default 0.3), prints one JSON
//        line describing itself, then answers each stdin line "PASS [CALLS]"
//        (forward, backward_data, backward_weights) with one timed run as a
//        JSON line {"name", "steps", "sec": seconds per call}; "quit" or end
//        of input ends it (after a last line "{}").
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

#define CHECK(x)                                                                                   \
  do {                                                                                             \
    dnnl_status_t s_ = (x);                                                                        \
    if (s_ != dnnl_success) {                                                                      \
      fprintf(stderr, "dnnl_conv: %s failed (%d)\n", #x, (int)s_);                                 \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static dnnl_memory_t alloc(const_dnnl_primitive_desc_t pd, dnnl_query_t what) {
  const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, what, 0);
  dnnl_memory_t m;
  CHECK(dnnl_memory_create(&m, md, engine, DNNL_MEMORY_ALLOCATE));
  void *h;
  CHECK(dnnl_memory_get_data_handle(m, &h));
  size_t bytes = dnnl_memory_desc_get_size(md);
  for (size_t i = 0; i < bytes / 4; ++i)
    ((float *)h)[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  return m;
}

/// Seconds per call of one timed run of `iters` calls.
static double timedRun(dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args, long iters) {
  double t0 = now();
  for (long i = 0; i < iters; ++i)
    CHECK(dnnl_primitive_execute(p, stream, nargs, args));
  CHECK(dnnl_stream_wait(stream));
  return (now() - t0) / iters;
}

/// Warm-up of >= 0.1 s (as tools/nnc-bench/timing.h), then the calls that take ~minTime s.
static long calibrate(dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args, double minTime) {
  timedRun(p, nargs, args, 1); // oneDNN JITs its kernels on first use
  long n = 1;
  double spent = 0, t = 0;
  for (;;) {
    t = timedRun(p, nargs, args, n) * n;
    spent += t;
    if (spent >= 0.1 && t >= 0.02)
      break;
    n *= 2;
  }
  long calls = (long)(minTime / (t / n) + 0.5);
  return calls < 1 ? 1 : calls;
}

/// Seconds per call: best of 5 runs of calls repeated for ~0.3 s.
static double timeIt(dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args) {
  CHECK(dnnl_primitive_execute(p, stream, nargs, args));
  CHECK(dnnl_stream_wait(stream));
  long iters = 1;
  for (;;) {
    double t0 = now();
    for (long i = 0; i < iters; ++i)
      CHECK(dnnl_primitive_execute(p, stream, nargs, args));
    CHECK(dnnl_stream_wait(stream));
    if (now() - t0 > 0.05)
      break;
    iters *= 2;
  }
  iters = iters * 6 + 1; // ~0.3 s
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    double t0 = now();
    for (long i = 0; i < iters; ++i)
      CHECK(dnnl_primitive_execute(p, stream, nargs, args));
    CHECK(dnnl_stream_wait(stream));
    double t = (now() - t0) / iters;
    if (t < best)
      best = t;
  }
  return best;
}

static const char *const kNames[3] = {"forward", "backward_data", "backward_weights"};

/// One shape's three primitives, ready to run: exec arguments, FLOP per call, impl names.
typedef struct {
  dnnl_primitive_t prim[3];
  dnnl_exec_arg_t args[3][3];
  const char *impl[3];
  double flops;
} Conv;

/// Builds the primitives of "N,C,H,W,F,KH,KW,PAD"; 0 (and a message) if the text is not one.
static int setup(const char *text, Conv *cv) {
  long n, c, h, w, f, kh, kw, pad;
  if (sscanf(text, "%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld", &n, &c, &h, &w, &f, &kh, &kw, &pad) != 8 || n < 1 ||
      c < 1 || h < 1 || w < 1 || f < 1 || kh < 1 || kw < 1 || pad < 0 || h + 2 * pad < kh || w + 2 * pad < kw) {
    fprintf(stderr, "dnnl_conv: expected N,C,H,W,F,KH,KW,PAD, got '%s'\n", text);
    return 0;
  }
  long oh = h + 2 * pad - kh + 1, ow = w + 2 * pad - kw + 1;
  dnnl_dims_t src = {n, c, h, w}, wei = {f, c, kh, kw}, dst = {n, f, oh, ow};
  dnnl_dims_t strides = {1, 1}, pl = {pad, pad}, pr = {pad, pad};
  dnnl_memory_desc_t src_md, wei_md, dst_md;
  CHECK(dnnl_memory_desc_init_by_tag(&src_md, 4, src, dnnl_f32, dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&wei_md, 4, wei, dnnl_f32, dnnl_format_tag_any));
  CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 4, dst, dnnl_f32, dnnl_format_tag_any));
  dnnl_convolution_desc_t fd, bd, wd;
  CHECK(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src_md,
                                           &wei_md, NULL, &dst_md, strides, pl, pr));
  dnnl_primitive_desc_t fpd, bpd, wpd;
  CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL));
  CHECK(dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &src_md, &wei_md, &dst_md,
                                                 strides, pl, pr));
  CHECK(dnnl_primitive_desc_create(&bpd, &bd, NULL, engine, fpd));
  CHECK(dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct, &src_md, &wei_md, NULL,
                                                    &dst_md, strides, pl, pr));
  CHECK(dnnl_primitive_desc_create(&wpd, &wd, NULL, engine, fpd));
  dnnl_primitive_t fp, bp, wp;
  CHECK(dnnl_primitive_create(&fp, fpd));
  CHECK(dnnl_primitive_create(&bp, bpd));
  CHECK(dnnl_primitive_create(&wp, wpd));
  dnnl_memory_t s = alloc(fpd, dnnl_query_src_md), wt = alloc(fpd, dnnl_query_weights_md),
                d = alloc(fpd, dnnl_query_dst_md);
  dnnl_memory_t ds = alloc(bpd, dnnl_query_diff_src_md), bw = alloc(bpd, dnnl_query_weights_md),
                dd = alloc(bpd, dnnl_query_diff_dst_md);
  dnnl_memory_t ws = alloc(wpd, dnnl_query_src_md), dw = alloc(wpd, dnnl_query_diff_weights_md),
                wdd = alloc(wpd, dnnl_query_diff_dst_md);
  dnnl_exec_arg_t fa[] = {{DNNL_ARG_SRC, s}, {DNNL_ARG_WEIGHTS, wt}, {DNNL_ARG_DST, d}};
  dnnl_exec_arg_t ba[] = {{DNNL_ARG_DIFF_DST, dd}, {DNNL_ARG_WEIGHTS, bw}, {DNNL_ARG_DIFF_SRC, ds}};
  dnnl_exec_arg_t wa[] = {{DNNL_ARG_SRC, ws}, {DNNL_ARG_DIFF_DST, wdd}, {DNNL_ARG_DIFF_WEIGHTS, dw}};
  memcpy(cv->args[0], fa, sizeof fa);
  memcpy(cv->args[1], ba, sizeof ba);
  memcpy(cv->args[2], wa, sizeof wa);
  cv->prim[0] = fp, cv->prim[1] = bp, cv->prim[2] = wp;
  cv->flops = 2.0 * n * f * oh * ow * c * kh * kw;
  for (int i = 0; i < 3; ++i)
    CHECK(dnnl_primitive_desc_query(i == 0 ? fpd : i == 1 ? bpd : wpd, dnnl_query_impl_info_str, 0, &cv->impl[i]));
  return 1;
}

static int serve(const char *shape, double minTime) {
  Conv cv;
  if (!setup(shape, &cv))
    return 1;
  long steps[3];
  for (int i = 0; i < 3; ++i)
    steps[i] = calibrate(cv.prim[i], 3, cv.args[i], minTime);
  const dnnl_version_t *v = dnnl_version();
  printf("{\"ready\": true, \"lib\": \"oneDNN\", \"version\": \"%d.%d.%d\", \"threads\": %d, \"shape\": \"%s\", "
         "\"flop\": %.17g, \"impl\": {",
         v->major, v->minor, v->patch, omp_get_max_threads(), shape, cv.flops);
  for (int i = 0; i < 3; ++i)
    printf("%s\"%s\": \"%s\"", i ? ", " : "", kNames[i], cv.impl[i]);
  printf("}, \"steps\": {");
  for (int i = 0; i < 3; ++i)
    printf("%s\"%s\": %ld", i ? ", " : "", kNames[i], steps[i]);
  printf("}}\n");
  fflush(stdout);
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    char name[64] = "";
    long calls = 0;
    if (sscanf(line, "%63s %ld", name, &calls) < 1)
      continue;
    if (!strcmp(name, "quit"))
      break;
    int k = -1;
    for (int i = 0; i < 3; ++i)
      if (!strcmp(name, kNames[i]))
        k = i;
    if (k < 0) {
      printf("{\"error\": \"unknown workload %s\"}\n", name);
      fflush(stdout);
      continue;
    }
    long nc = calls > 0 ? calls : steps[k];
    double sec = timedRun(cv.prim[k], 3, cv.args[k], nc);
    printf("{\"name\": \"%s\", \"steps\": %ld, \"sec\": %.9g}\n", name, nc, sec);
    fflush(stdout);
  }
  printf("{}\n");
  return 0;
}

int main(int argc, char **argv) {
  int json = 0, serving = 0;
  double minTime = 0.3;
  const char *serveShape = NULL;
  CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
  CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
  for (int a = 1; a < argc; ++a) {
    if (!strcmp(argv[a], "--serve")) {
      serving = 1;
    } else if (!strcmp(argv[a], "--min-time") && a + 1 < argc) {
      minTime = atof(argv[++a]);
    } else if (!strcmp(argv[a], "--json")) {
      json = 1;
    } else if (serving && !serveShape) {
      serveShape = argv[a];
    } else if (serving) {
      fprintf(stderr, "dnnl_conv: --serve takes one shape\n");
      return 1;
    }
  }
  if (serving) {
    if (!serveShape || !(minTime > 0)) {
      fprintf(stderr, "usage: dnnl_conv --serve [--min-time S] N,C,H,W,F,KH,KW,PAD\n");
      return 1;
    }
    return serve(serveShape, minTime);
  }
  for (int a = 1; a < argc; ++a) {
    if (!strcmp(argv[a], "--json"))
      continue;
    if (!strcmp(argv[a], "--min-time")) {
      ++a;
      continue;
    }
    Conv cv;
    if (!setup(argv[a], &cv))
      return 1;
    double t[3];
    for (int i = 0; i < 3; ++i)
      t[i] = timeIt(cv.prim[i], 3, cv.args[i]);
    for (int i = 0; i < 3; ++i) {
      if (json)
        printf("{\"shape\": \"%s\", \"pass\": \"%s\", \"sec\": %.9g, \"gflops\": %.2f, \"impl\": \"%s\"}\n", argv[a],
               kNames[i], t[i], cv.flops / t[i] / 1e9, cv.impl[i]);
      else
        printf("%-28s %-17s %8.3f ms %7.1f GFLOP/s  (%s)\n", argv[a], kNames[i], t[i] * 1e3, cv.flops / t[i] / 1e9,
               cv.impl[i]);
    }
  }
  return 0;
}
