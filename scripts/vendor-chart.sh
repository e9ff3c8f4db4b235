#!/usr/bin/env bash
# Refreshes the Chart.js build that `sigma report` inlines into report.html.
#
#   scripts/vendor-chart.sh            # the newest Chart.js 4.x
#   scripts/vendor-chart.sh 4.6.1      # an exact version
#
# `npm pack` fetches the package tarball from the npm registry into
# build/vendor-chart/; its UMD build (dist/chart.umd.min.js, which defines
# window.Chart without a module loader) and its license are copied to
# third_party/chartjs/. The file is committed, so building and running Sigma
# never touch the network: CMake embeds it into the sigma library
# (cmake/EmbedFile.cmake) and every report carries its own copy.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-4}"
work=build/vendor-chart
rm -rf "$work" && mkdir -p "$work"
tarball=$(cd "$work" && npm pack --silent "chart.js@${version}")
tar -xzf "$work/$tarball" -C "$work"
exact=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$work/package/package.json" | head -1)

dest=third_party/chartjs
mkdir -p "$dest"
# The source-map comment would make a browser's developer tools look for a
# file next to report.html: drop it, the report must need nothing else.
grep -v '^//# sourceMappingURL=' "$work/package/dist/chart.umd.min.js" > "$dest/chart.umd.min.js"
cp "$work/package/LICENSE.md" "$dest/LICENSE.md"
# A "</script" inside the library would end the inline <script> early.
if grep -qi '</script' "$dest/chart.umd.min.js"; then
  echo "vendor-chart: chart.umd.min.js contains </script; it cannot be inlined" >&2
  exit 1
fi
echo "$exact" > "$dest/VERSION"
echo "vendor-chart: Chart.js $exact -> $dest/chart.umd.min.js ($(wc -c < "$dest/chart.umd.min.js") bytes)"
