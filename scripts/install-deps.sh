#!/usr/bin/env bash
# Installs the Debian packages Sigma needs to build, test and run its demo.
# Does nothing when they are all present; uses sudo when not root.
#   scripts/install-deps.sh          build + test + demo packages
#   scripts/install-deps.sh --peers  also libtorch-dev and OpenBLAS, for the benchmark peers, and
#                                    what ../shared/peers' own build needs (scripts/check-peers.sh)
#   scripts/install-deps.sh --fuzz   also clang with libFuzzer, for make fuzz
set -euo pipefail

packages=(
  cmake make g++ pkg-config
  llvm-19-dev llvm-19-tools libzstd-dev zlib1g-dev   # LLVM's CMake files need zstd
  libfmt-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev                                # sigma report reads metrics.jsonl
  graphviz                                          # sigma inspect --emit svg; the DOT test runs dot
  chromium                                          # the report test renders report.html headless
  dataset-fashion-mnist
)
for arg in "$@"; do
  case "$arg" in
    # libtorch-dev: the libtorch peers; OpenBLAS: without it libtorch runs netlib's reference
    # BLAS (15x slower); libopenblas-pthread-dev and libdnnl-dev: the sgemm and hand-written W2 peers;
    # Eigen and the OpenCL headers: ../shared/peers' CMake (its Eigen peers; Debian's dnnl-config.cmake
    # looks for OpenCL)
    --peers) packages+=(libtorch-dev libopenblas0-pthread libopenblas-pthread-dev libdnnl-dev
                        libeigen3-dev ocl-icd-opencl-dev opencl-c-headers) ;;
    --fuzz) packages+=(clang-14 libclang-common-14-dev) ;;
    *) echo "install-deps: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
((EUID != 0)) && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
