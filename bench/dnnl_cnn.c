// oneDNN (Debian libdnnl-dev, 2.6) inference of issue 14's mnist convnet
// (examples/mnist_cnn.nn; ../shared/bench/cnn_ref.py --set mnist), the bar of
// its inference row: forward_inference primitives chained as a oneDNN user
// would write them:
//   conv 3x3 (1 -> 32, valid, bias) with a ReLU post-op   [N,32,26,26]
//   max pooling 2x2, stride 2                              [N,32,13,13]
//   conv 3x3 (32 -> 64, valid, bias) with a ReLU post-op   [N,64,11,11]
//   max pooling 2x2, stride 2 (rounded down)               [N,64,5,5]
//   inner product 1600 -> 10 (bias)                        [N,10] logits
// Every activation and weight has format_tag_any (oneDNN picks its layouts,
// e.g. nChw16c; the inner product reads the pooled activations in the layout
// the pooling wrote if it can); the weights are reordered once at setup, not
// timed. The
// input arrives as the user has it, [N,1,28,28] row-major (nchw, as nnc's
// kernel takes it): if the first convolution wants another layout, that
// reorder runs in every timed call, and so does any reorder between layers.
// The logits come out as [N,10] row-major. nnc's `x / 255` is folded into the
// first convolution's weights (as a oneDNN user would), so not computed here.
//
// Build: gcc -O2 -fopenmp dnnl_cnn.c -ldnnl -o /tmp/dnnl_cnn
// Run:   OMP_NUM_THREADS=1 /tmp/dnnl_cnn [BATCH ...]        # ms and GFLOP/s per batch (default 128)
//        /tmp/dnnl_cnn --serve [--min-time S] BATCH        # bench/run_bench.py's worker: one
//            JSON line describing itself, then stdin lines "infer [CALLS]", each answered with
//            one timed run {"name", "steps", "sec": seconds per batch}; "quit" ends it ("{}").
// GFLOP/s count the two convolutions and the inner product, 2 FLOP per multiply-add.
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
      fprintf(stderr, "dnnl_cnn: %s failed (%d)\n", #x, (int)s_);                                  \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

static dnnl_engine_t engine;
static dnnl_stream_t stream;

enum { kMaxSteps = 16 };

/// The chain of primitives one inference runs, in order.
typedef struct {
  dnnl_primitive_t prim[kMaxSteps];
  dnnl_exec_arg_t args[kMaxSteps][4];
  int nargs[kMaxSteps];
  int n;
  int reorders; // how many of them are reorders (timed)
  const char *impl[kMaxSteps];
  double flops;
} Net;

static dnnl_memory_t make(const dnnl_memory_desc_t *md, int fill) {
  dnnl_memory_t m;
  CHECK(dnnl_memory_create(&m, md, engine, DNNL_MEMORY_ALLOCATE));
  if (fill) {
    void *h;
    CHECK(dnnl_memory_get_data_handle(m, &h));
    size_t count = dnnl_memory_desc_get_size(md) / 4;
    for (size_t i = 0; i < count; ++i)
      ((float *)h)[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  }
  return m;
}

static void add(Net *net, const_dnnl_primitive_desc_t pd, int nargs, const dnnl_exec_arg_t *args) {
  dnnl_primitive_t p;
  CHECK(dnnl_primitive_create(&p, pd));
  net->prim[net->n] = p;
  memcpy(net->args[net->n], args, sizeof(dnnl_exec_arg_t) * nargs);
  net->nargs[net->n] = nargs;
  CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &net->impl[net->n]));
  net->n++;
}

/// `m` in the layout `want`: `m` itself, or a new memory filled by a reorder
/// that runs in every call (timed) when `timed`, once now otherwise.
static dnnl_memory_t as(Net *net, dnnl_memory_t m, const dnnl_memory_desc_t *want, int timed) {
  const dnnl_memory_desc_t *have;
  CHECK(dnnl_memory_get_memory_desc(m, &have));
  if (dnnl_memory_desc_equal(have, want))
    return m;
  dnnl_memory_t out = make(want, 0);
  dnnl_primitive_desc_t pd;
  CHECK(dnnl_reorder_primitive_desc_create(&pd, have, engine, want, engine, NULL));
  dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, m}, {DNNL_ARG_TO, out}};
  if (timed) {
    add(net, pd, 2, a);
    net->reorders++;
  } else {
    dnnl_primitive_t p;
    CHECK(dnnl_primitive_create(&p, pd));
    CHECK(dnnl_primitive_execute(p, stream, 2, a));
    CHECK(dnnl_stream_wait(stream));
  }
  return out;
}

static void desc(dnnl_memory_desc_t *md, int nd, const dnnl_dims_t dims, dnnl_format_tag_t tag) {
  CHECK(dnnl_memory_desc_init_by_tag(md, nd, dims, dnnl_f32, tag));
}

/// A 3x3 valid convolution with bias and ReLU on `src` ([n,c,h,w] in any layout); returns dst.
static dnnl_memory_t conv_relu(Net *net, dnnl_memory_t src, long n, long c, long h, long w, long f) {
  long oh = h - 2, ow = w - 2;
  dnnl_dims_t sd = {n, c, h, w}, wd = {f, c, 3, 3}, bd = {f}, dd = {n, f, oh, ow};
  dnnl_dims_t strides = {1, 1}, pad = {0, 0};
  dnnl_memory_desc_t s_md, w_md, b_md, d_md;
  desc(&s_md, 4, sd, dnnl_format_tag_any);
  desc(&w_md, 4, wd, dnnl_format_tag_any);
  desc(&b_md, 1, bd, dnnl_x);
  desc(&d_md, 4, dd, dnnl_format_tag_any);
  dnnl_convolution_desc_t cd;
  CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &s_md, &w_md,
                                           &b_md, &d_md, strides, pad, pad));
  dnnl_post_ops_t po;
  CHECK(dnnl_post_ops_create(&po));
  CHECK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
  dnnl_primitive_attr_t attr;
  CHECK(dnnl_primitive_attr_create(&attr));
  CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
  dnnl_primitive_desc_t pd;
  CHECK(dnnl_primitive_desc_create(&pd, &cd, attr, engine, NULL));
  src = as(net, src, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), 1);
  dnnl_memory_desc_t user_w;
  desc(&user_w, 4, wd, dnnl_oihw);
  dnnl_memory_t wt = as(net, make(&user_w, 1), dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), 0);
  dnnl_memory_t bias = make(&b_md, 1);
  dnnl_memory_t dst = make(dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), 0);
  dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wt}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}};
  add(net, pd, 4, a);
  net->flops += 2.0 * n * f * oh * ow * c * 9;
  return dst;
}

/// 2x2 max pooling, stride 2, rounded down, in src's layout.
static dnnl_memory_t pool(Net *net, dnnl_memory_t src, long n, long c, long h, long w) {
  const dnnl_memory_desc_t *s_md;
  CHECK(dnnl_memory_get_memory_desc(src, &s_md));
  dnnl_dims_t dd = {n, c, h / 2, w / 2}, strides = {2, 2}, kernel = {2, 2}, pad = {0, 0};
  dnnl_memory_desc_t d_md;
  desc(&d_md, 4, dd, dnnl_format_tag_any);
  dnnl_pooling_desc_t pdsc;
  CHECK(dnnl_pooling_forward_desc_init(&pdsc, dnnl_forward_inference, dnnl_pooling_max, s_md, &d_md, strides,
                                       kernel, pad, pad));
  dnnl_primitive_desc_t pd;
  CHECK(dnnl_primitive_desc_create(&pd, &pdsc, NULL, engine, NULL));
  dnnl_memory_t dst = make(dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), 0);
  dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
  add(net, pd, 2, a);
  return dst;
}

static void build(Net *net, long n) {
  memset(net, 0, sizeof *net);
  dnnl_dims_t xd = {n, 1, 28, 28};
  dnnl_memory_desc_t x_md;
  desc(&x_md, 4, xd, dnnl_nchw);
  dnnl_memory_t x = make(&x_md, 1);
  dnnl_memory_t h = conv_relu(net, x, n, 1, 28, 28, 32);
  h = pool(net, h, n, 32, 26, 26);
  h = conv_relu(net, h, n, 32, 13, 13, 64);
  h = pool(net, h, n, 64, 11, 11);
  dnnl_dims_t sd = {n, 64, 5, 5}, wd = {10, 64, 5, 5}, bd = {10}, dd = {n, 10};
  dnnl_memory_desc_t s_md, w_md, b_md, d_md;
  desc(&s_md, 4, sd, dnnl_format_tag_any);
  desc(&w_md, 4, wd, dnnl_format_tag_any);
  desc(&b_md, 1, bd, dnnl_x);
  desc(&d_md, 2, dd, dnnl_nc);
  // The pooled activations in their own layout if the inner product takes it (no reorder),
  // else in the layout it picks.
  const dnnl_memory_desc_t *h_md;
  CHECK(dnnl_memory_get_memory_desc(h, &h_md));
  dnnl_inner_product_desc_t ipd;
  dnnl_primitive_desc_t pd;
  CHECK(dnnl_inner_product_forward_desc_init(&ipd, dnnl_forward_inference, h_md, &w_md, &b_md, &d_md));
  if (dnnl_primitive_desc_create(&pd, &ipd, NULL, engine, NULL) != dnnl_success) {
    CHECK(dnnl_inner_product_forward_desc_init(&ipd, dnnl_forward_inference, &s_md, &w_md, &b_md, &d_md));
    CHECK(dnnl_primitive_desc_create(&pd, &ipd, NULL, engine, NULL));
  }
  h = as(net, h, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), 1);
  dnnl_memory_desc_t user_w;
  desc(&user_w, 4, wd, dnnl_oihw);
  dnnl_memory_t wt = as(net, make(&user_w, 1), dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), 0);
  dnnl_memory_t bias = make(&b_md, 1), y = make(&d_md, 0);
  dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, h}, {DNNL_ARG_WEIGHTS, wt}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, y}};
  add(net, pd, 4, a);
  net->flops += 2.0 * n * 1600 * 10;
}

/// Seconds per inference of one timed run of `calls` inferences.
static double timed_run(const Net *net, long calls) {
  double t0 = now();
  for (long i = 0; i < calls; ++i)
    for (int k = 0; k < net->n; ++k)
      CHECK(dnnl_primitive_execute(net->prim[k], stream, net->nargs[k], net->args[k]));
  CHECK(dnnl_stream_wait(stream));
  return (now() - t0) / calls;
}

/// Warm-up of >= 0.1 s (as tools/nnc-bench/timing.h), then the calls that take ~min_time s.
static long calibrate(const Net *net, double min_time) {
  timed_run(net, 1);
  long n = 1;
  double spent = 0, t = 0;
  for (;;) {
    t = timed_run(net, n) * n;
    spent += t;
    if (spent >= 0.1 && t >= 0.02)
      break;
    n *= 2;
  }
  long calls = (long)(min_time / (t / n) + 0.5);
  return calls < 1 ? 1 : calls;
}

static void describe(const Net *net, long batch, long steps) {
  const dnnl_version_t *v = dnnl_version();
  printf("{\"ready\": true, \"lib\": \"oneDNN\", \"version\": \"%d.%d.%d\", \"threads\": %d, \"batch\": %ld, "
         "\"flop\": %.17g, \"reorders_timed\": %d, \"steps\": {\"infer\": %ld}, \"impl\": [",
         v->major, v->minor, v->patch, omp_get_max_threads(), batch, net->flops, net->reorders, steps);
  for (int k = 0; k < net->n; ++k)
    printf("%s\"%s\"", k ? ", " : "", net->impl[k]);
  printf("]}\n");
  fflush(stdout);
}

static int serve(long batch, double min_time) {
  Net net;
  build(&net, batch);
  long steps = calibrate(&net, min_time);
  describe(&net, batch, steps);
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    char name[64] = "";
    long calls = 0;
    if (sscanf(line, "%63s %ld", name, &calls) < 1)
      continue;
    if (!strcmp(name, "quit"))
      break;
    if (strcmp(name, "infer")) {
      printf("{\"error\": \"unknown workload %s\"}\n", name);
      fflush(stdout);
      continue;
    }
    long n = calls > 0 ? calls : steps;
    double sec = timed_run(&net, n);
    printf("{\"name\": \"infer\", \"steps\": %ld, \"sec\": %.9g}\n", n, sec);
    fflush(stdout);
  }
  printf("{}\n");
  return 0;
}

int main(int argc, char **argv) {
  int serving = 0, nb = 0;
  double min_time = 0.3;
  long batches[32];
  CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
  CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
  for (int a = 1; a < argc; ++a) {
    char *end = NULL;
    if (!strcmp(argv[a], "--serve")) {
      serving = 1;
    } else if (!strcmp(argv[a], "--min-time") && a + 1 < argc) {
      min_time = strtod(argv[++a], &end);
      if (*end || !(min_time > 0)) {
        fprintf(stderr, "dnnl_cnn: --min-time takes positive seconds, got '%s'\n", argv[a]);
        return 1;
      }
    } else {
      long b = strtol(argv[a], &end, 10);
      if (*end || b < 1 || nb == 32) {
        fprintf(stderr, "usage: dnnl_cnn [--serve] [--min-time S] BATCH ...\n");
        return 1;
      }
      batches[nb++] = b;
    }
  }
  if (!nb)
    batches[nb++] = 128;
  if (serving) {
    if (nb != 1) {
      fprintf(stderr, "dnnl_cnn: --serve takes one batch size\n");
      return 1;
    }
    return serve(batches[0], min_time);
  }
  for (int i = 0; i < nb; ++i) {
    Net net;
    build(&net, batches[i]);
    long steps = calibrate(&net, min_time);
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
      double t = timed_run(&net, steps);
      best = t < best ? t : best;
    }
    printf("batch %5ld: %8.3f ms per batch, %6.1f GFLOP/s (best of 5; %d timed reorders;", batches[i], best * 1e3,
           net.flops / best / 1e9, net.reorders);
    for (int k = 0; k < net.n; ++k)
      printf(" %s", net.impl[k]);
    printf(")\n");
  }
  return 0;
}
