// See Gemm.h. oneDNN runs on OpenMP (Debian builds it so), OpenBLAS on its
// own pthreads; setPeerThreads sets both, and OpenMP's for the peers' loops.
#include "benchmarks/peers/Gemm.h"

#include <omp.h>

#ifdef SIGMA_BENCH_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif
#ifdef SIGMA_BENCH_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include <stdexcept>

namespace sigma::peers {

const char* gemmName(GemmLibrary library) { return library == GemmLibrary::OneDNN ? "onednn" : "openblas"; }

std::vector<GemmLibrary> availableGemmLibraries() {
  std::vector<GemmLibrary> libraries;
#ifdef SIGMA_BENCH_HAVE_DNNL
  libraries.push_back(GemmLibrary::OneDNN);
#endif
#ifdef SIGMA_BENCH_HAVE_OPENBLAS
  libraries.push_back(GemmLibrary::OpenBLAS);
#endif
  return libraries;
}

std::string gemmVersions() {
  std::string out;
#ifdef SIGMA_BENCH_HAVE_DNNL
  const dnnl_version_t* v = dnnl_version();
  out += "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
#endif
#ifdef SIGMA_BENCH_HAVE_OPENBLAS
  if (!out.empty()) out += ", ";
  out += std::string(openblas_get_config()) + " (kernels for " + openblas_get_corename() + ")";
#endif
  return out.empty() ? "not installed (scripts/install-deps.sh --peers)" : out;
}

void gemm(GemmLibrary library, bool transposeA, bool transposeB, int m, int n, int k, const float* a,
          const float* b, float* c) {
  [[maybe_unused]] const int lda = transposeA ? m : k, ldb = transposeB ? k : n, ldc = n;
  switch (library) {
    case GemmLibrary::OneDNN:
#ifdef SIGMA_BENCH_HAVE_DNNL
      if (dnnl_sgemm(transposeA ? 'T' : 'N', transposeB ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc) !=
          dnnl_success)
        throw std::runtime_error("dnnl_sgemm failed");
      return;
#else
      break;
#endif
    case GemmLibrary::OpenBLAS:
#ifdef SIGMA_BENCH_HAVE_OPENBLAS
      cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, m, n,
                  k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
      return;
#else
      break;
#endif
  }
  throw std::runtime_error(std::string(gemmName(library)) + " is not built in");
}

void setPeerThreads(int threads) {
  omp_set_num_threads(threads);
#ifdef SIGMA_BENCH_HAVE_OPENBLAS
  openblas_set_num_threads(threads);
#endif
}

}  // namespace sigma::peers
