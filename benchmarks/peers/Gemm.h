// The specialist GEMM libraries the peers call: oneDNN's dnnl_sgemm and
// OpenBLAS's cblas_sgemm (Debian's libdnnl-dev, libopenblas-pthread-dev;
// `scripts/install-deps.sh --peers`), each built in only when CMake finds it.
// They are what ../shared/peers/w2_handwritten.cpp and machine_sgemm.cpp
// call, with the same row-major convention.
#pragma once

#include <string>
#include <vector>

namespace sigma::peers {

enum class GemmLibrary { OneDNN, OpenBLAS };

const char* gemmName(GemmLibrary library);  // "onednn", "openblas"
std::vector<GemmLibrary> availableGemmLibraries();
std::string gemmVersions();  // "oneDNN 2.6.3, OpenBLAS 0.3.21 (Zen)", for the report

// Row-major C[M,N] = op(A)·op(B), op(X) = Xᵀ when its flag is set.
void gemm(GemmLibrary library, bool transposeA, bool transposeB, int m, int n, int k, const float* a,
          const float* b, float* c);

// Threads for the libraries and the peers' OpenMP loops.
void setPeerThreads(int threads);

}  // namespace sigma::peers
