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
#include <oneapi/dnnl/dnnl.h>
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

int main(int argc, char **argv) {
  int json = 0;
  CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
  CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
  for (int a = 1; a < argc; ++a) {
    if (!strcmp(argv[a], "--json")) {
      json = 1;
      continue;
    }
    long n, c, h, w, f, kh, kw, pad;
    if (sscanf(argv[a], "%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld", &n, &c, &h, &w, &f, &kh, &kw, &pad) != 8) {
      fprintf(stderr, "dnnl_conv: expected N,C,H,W,F,KH,KW,PAD, got '%s'\n", argv[a]);
      return 1;
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
    double flops = 2.0 * n * f * oh * ow * c * kh * kw;
    double t[3] = {timeIt(fp, 3, fa), timeIt(bp, 3, ba), timeIt(wp, 3, wa)};
    const char *names[3] = {"forward", "backward_data", "backward_weights"};
    const char *impl[3];
    for (int i = 0; i < 3; ++i)
      CHECK(dnnl_primitive_desc_query(i == 0 ? fpd : i == 1 ? bpd : wpd, dnnl_query_impl_info_str, 0, &impl[i]));
    for (int i = 0; i < 3; ++i) {
      if (json)
        printf("{\"shape\": \"%s\", \"pass\": \"%s\", \"sec\": %.9g, \"gflops\": %.2f, \"impl\": \"%s\"}\n", argv[a],
               names[i], t[i], flops / t[i] / 1e9, impl[i]);
      else
        printf("%-28s %-17s %8.3f ms %7.1f GFLOP/s  (%s)\n", argv[a], names[i], t[i] * 1e3, flops / t[i] / 1e9,
               impl[i]);
    }
  }
  return 0;
}
