// Copied from ../shared/bench/peak_fma.c (the shared peer benchmarks' FMA peak) for
// bench/run_bench.py, which builds it into its temporary directory (bench/machine.py).
// Changed: the thread count is OMP_NUM_THREADS (omp_get_max_threads) and only that count is
// measured (was every count from 1 to omp_get_num_procs); the AVX-512 part is compiled only
// with __AVX512F__ (so -mavx2 -mfma builds it for CPUs without AVX-512); the harness passes a
// shorter iteration count. Its "effective clock" line is unreliable on a VM (it printed
// 12-17 GHz on one): the harness reads only the GFLOP/s.
// Physical FP32 limit of this CPU: FMA throughput with many independent accumulators,
// AVX-512 (zmm) and AVX2 (ymm), 1 and N threads, plus the effective clock (dependent add chain).
// Build: gcc -O2 -mavx512f -mavx512vl -mfma -fopenmp peak_fma.c -o /tmp/peak_fma && /tmp/peak_fma
//    or: gcc -O2 -mavx2 -mfma -fopenmp peak_fma.c -o /tmp/peak_fma (no AVX-512)
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

#define ACC 16
#ifdef __AVX512F__
static float fma512(long iters) {
  __m512 a[ACC], m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < ACC; i++) a[i] = _mm512_set1_ps((float)i);
  for (long it = 0; it < iters; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < ACC; i++) a[i] = _mm512_fmadd_ps(a[i], m, c);
  }
  __m512 s = a[0];
  for (int i = 1; i < ACC; i++) s = _mm512_add_ps(s, a[i]);
  return _mm512_reduce_add_ps(s);
}
#endif
static float fma256(long iters) {
  __m256 a[ACC], m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < ACC; i++) a[i] = _mm256_set1_ps((float)i);
  for (long it = 0; it < iters; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < ACC; i++) a[i] = _mm256_fmadd_ps(a[i], m, c);
  }
  __m256 s = a[0];
  for (int i = 1; i < ACC; i++) s = _mm256_add_ps(s, a[i]);
  float o[8]; _mm256_storeu_ps(o, s);
  return o[0] + o[7];
}
static long addchain(long blocks) {  // 1000 dependent 1-cycle adds per block
  long x = 0;
  for (long b = 0; b < blocks; b++) __asm__ volatile(".rept 1000\n\taddq $1, %0\n\t.endr" : "+r"(x));
  return x;
}

int main(int argc, char **argv) {
  int maxth = omp_get_max_threads();  // OMP_NUM_THREADS
  long it = argc > 1 ? atol(argv[1]) : 200000000L;  // ~1.5 s per run at 4 GHz
  volatile float sink = 0; volatile long lsink = 0;
  double t = now(); lsink += addchain(it / 100); t = now() - t;
  double ghz = (double)(it / 100) * 1000 / t / 1e9;
  printf("effective clock (dependent add chain, 1 thread): %.2f GHz\n", ghz);
#ifdef __AVX512F__
  const int w0 = 0;
#else
  const int w0 = 1;  // AVX2 only
#endif
  for (int th = maxth; th <= maxth; th++) {
    for (int w = w0; w < 2; w++) {
      int lanes = w == 0 ? 16 : 8;
      double best = 0;
      for (int rep = 0; rep < 9; rep++) {  // best of 9: other processes may share the cores
        double t0 = now();
#pragma omp parallel num_threads(th)
#ifdef __AVX512F__
        { float r = w == 0 ? fma512(it / 2) : fma256(it / 2);
#else
        { float r = fma256(it / 2);
#endif
#pragma omp atomic
          sink += r; }
        double gf = (double)th * (it / 2) * ACC * lanes * 2 / (now() - t0) / 1e9;
        if (gf > best) best = gf;
      }
      printf("%s FMA, %d thread(s): %.1f GFLOP/s  (%.1f FLOP/cycle/core at %.2f GHz)\n",
             w == 0 ? "AVX-512 zmm" : "AVX2 ymm   ", th, best, best / th / ghz, ghz);
    }
  }
  return (int)(sink == 12345.f) + (int)(lsink == 1);
}
