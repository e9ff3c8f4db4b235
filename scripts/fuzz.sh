#!/usr/bin/env bash
# Builds the IR-parser fuzzer with clang + libFuzzer (and ASan/UBSan) and
# runs it for a bounded time on a corpus seeded from the lit tests.
#   scripts/fuzz.sh [seconds=60]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=build-fuzz
mkdir -p "$out/corpus"
cxx=$(command -v clang++ || command -v clang++-19 || command -v clang++-14 || true)
[[ -n "$cxx" ]] || { echo "fuzz: clang++ is not installed (scripts/install-deps.sh --fuzz)" >&2; exit 1; }

# Every IR source (the parsers and printers share pieces across files, and a
# list by hand falls behind: ir/ depends on nothing but fmt).
sources=(tests/fuzz/ParserFuzzer.cpp ir/*.cpp)
if [[ ! -x "$out/parser-fuzzer" ]] || [[ -n "$(find "${sources[@]}" ir/*.h -newer "$out/parser-fuzzer")" ]]; then
  echo "fuzz: building $out/parser-fuzzer with $cxx"
  "$cxx" -std=c++20 -O1 -g -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    "${sources[@]}" -lfmt -o "$out/parser-fuzzer"
fi

# Seed corpus: every lit test, prefixed with the byte that selects its parser.
for f in $(find tests/lit -name '*.sg' -o -name '*.sl'); do
  name=$(echo "$f" | tr '/' '_')
  if [[ "$f" == *.sg ]]; then printf '\x01' > "$out/corpus/$name"; else printf '\x00' > "$out/corpus/$name"; fi
  cat "$f" >> "$out/corpus/$name"
done
echo "fuzz: running for ${seconds}s"
"$out/parser-fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  "$out/corpus" 2>&1 | tail -15
