#!/usr/bin/env bash
# Builds Sigma under a sanitizer, in a build directory of its own, and runs
# tests there (`make test-sanitize`, `make test-tsan`).
#
#   scripts/sanitize.sh address   AddressSanitizer + UndefinedBehaviorSanitizer
#                                 (with LeakSanitizer): the whole ctest suite,
#                                 in build-sanitize/
#   scripts/sanitize.sh thread    ThreadSanitizer: the concurrency stress tests
#                                 (tests/unit/ConcurrencyTest.cpp) and the tiered
#                                 compile's switch (TieredCompileTest.cpp), in build-tsan/
#
# Both build RelWithDebInfo at -O1: fast enough to run the suite, with line
# numbers in every report. Any report fails the run (UBSan does not recover,
# TSan exits non-zero). What is not instrumented: the code the JIT compiles
# (LLVM emits it; the reference interpreter, which is instrumented, runs the
# same loop IR in the tests) and libLLVM itself (Debian's shared library).
#
# Environment: JOBS (default 2) build and ctest jobs; SANITIZE_BUILD and
# TSAN_BUILD override the build directories; CTEST_ARGS adds ctest arguments
# (e.g. CTEST_ARGS="-R Checkpoint").
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-}
jobs=${JOBS:-2}
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g -DNDEBUG")
case "$kind" in
  address)
    dir=${SANITIZE_BUILD:-build-sanitize}
    flags+=(-DSIGMA_SANITIZE=ON -DSIGMA_TSAN=OFF)
    ;;
  thread)
    dir=${TSAN_BUILD:-build-tsan}
    flags+=(-DSIGMA_TSAN=ON -DSIGMA_SANITIZE=OFF -DSIGMA_BENCHMARKS=OFF)
    ;;
  *)
    echo "usage: scripts/sanitize.sh address|thread" >&2
    exit 2
    ;;
esac

now() { date +%s; }
start=$(now)
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  cmake -S . -B "$dir" "${flags[@]}"
fi

if [[ "$kind" == address ]]; then
  cmake --build "$dir" -j "$jobs"
  built=$(now)
  echo "sanitize: built $dir in $((built - start)) s"
  # detect_leaks: LeakSanitizer at exit. abort_on_error=0 keeps the exit
  # code (1) that ctest reports, with the report in the test's output.
  export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
  status=0
  (cd "$dir" && ctest --output-on-failure -j "$jobs" ${CTEST_ARGS:-}) || status=$?
  echo "sanitize: ASan+UBSan test suite took $(($(now) - built)) s (build and tests: $(($(now) - start)) s)"
  exit $status
fi

# ThreadSanitizer: only the library, the test binary and the tools it runs.
cmake --build "$dir" -j "$jobs" --target sigma-tests
built=$(now)
echo "sanitize: built $dir in $((built - start)) s"
# libLLVM is not instrumented, so TSan cannot see its accesses; the
# suppressions file is for reports from inside libLLVM only, never for
# Sigma's code (it holds none today).
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan-suppressions.txt${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
status=0
"$dir/bin/sigma-tests" --gtest_filter='Concurrency.*:TieredCompile.*' ${GTEST_ARGS:-} || status=$?
echo "sanitize: TSan stress tests took $(($(now) - built)) s"
exit $status
