// sigma report RUN_DIR: writes RUN_DIR/report.html from what `sigma train
// --out RUN_DIR` left there (frontend/Report.h says what it reads).
#include <fmt/format.h>

#include <sstream>

#include "frontend/Report.h"
#include "tools/Commands.h"

namespace sigma::cli {

namespace {
// "28x28" or "28,28" -> {28, 28}.
std::vector<int64_t> parseShape(const std::string& text) {
  std::vector<int64_t> shape;
  std::string s = text;
  for (char& c : s)
    if (c == 'x' || c == 'X') c = ',';
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) {
    try {
      size_t used = 0;
      long long n = std::stoll(part, &used);
      if (used == part.size() && n > 0) {
        shape.push_back(n);
        continue;
      }
    } catch (const std::exception&) {
    }
    fail("sigma report: --image-shape takes ROWSxCOLS (e.g. 28x28), not '{}'", text);
  }
  if (shape.size() != 2) fail("sigma report: --image-shape takes ROWSxCOLS (e.g. 28x28), not '{}'", text);
  return shape;
}
}  // namespace

int reportCommand(Args& args) {
  ReportOptions options;
  options.title = args.value("title", "");
  if (auto shape = args.value("image-shape")) options.imageShape = parseShape(*shape);
  options.maxPoints = size_t(std::max(2LL, args.integer("max-points", 2000)));
  std::optional<std::string> dir = args.positional();
  args.finish();
  if (!dir) fail("sigma report: which run? usage: sigma report RUN_DIR (the --out directory of sigma train)");

  ReportSummary summary = writeReport(*dir, options);
  for (const std::string& w : summary.warnings) fmt::print(stderr, "sigma report: warning: {}\n", w);
  fmt::print("sigma report: wrote {} ({} charts{})\n", summary.path, summary.charts,
             summary.heatmap ? " and the input-importance heat map" : "");
  return 0;
}

}  // namespace sigma::cli
