// `sigma report RUN_DIR`: a training run as one self-contained HTML page.
//
//   sigma::ReportSummary r = sigma::writeReport("runs/fmnist");   // runs/fmnist/report.html
//
// Reads what `sigma train --out RUN_DIR` leaves there:
//   metrics.jsonl     required: the step and epoch lines of MetricsLog.h
//   checkpoint.sgck   optional: the final weights, for the input-importance
//                     heat map (Importance.h) and the layers' sizes (sparsity
//                     as a share of the weights rather than a count)
//   importance.jsonl  optional: input importance after every epoch (the
//                     trend: the final top features over epochs, and heat
//                     maps at up to four epochs on one scale)
//   config.json       optional: any JSON object, shown as the run's
//                     configuration; its "input_shape" ([28, 28]) gives the
//                     heat map's shape
// and writes RUN_DIR/report.html (atomically): loss over steps and epochs,
// test accuracy, per-layer Σw, Σ|w|, Σw², max|w|, gradient Σg², sparsity,
// the learning rate, the input-importance heat map, and the configuration.
//
// The plots are drawn by Chart.js (third_party/chartjs, MIT), compiled into
// the library and inlined into every page: the file opens offline, with no
// network access, and can be mailed or archived on its own. When the page's
// script has drawn everything it sets
//   <div id="status" data-state="ok" data-charts-expected=N data-charts-drawn=N data-heatmap="drawn">
// (and data-trend-maps="D/N", D of N trend heat maps drawn, or "none"),
// which the headless-Chromium test reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sigma {

// One parameter's statistics on one line of metrics.jsonl; NaN where the
// file has null (a non-finite value).
struct LayerStats {
  std::string name;
  double sum, abs_sum, sq_sum, max_abs, zeros, grad_sq_sum;
};

struct MetricsLine {
  int64_t step = 0, epoch = 0;
  double loss = 0, lr = 0;
  std::vector<LayerStats> weights;
  bool isEpoch = false;  // has "test_loss" and "test_accuracy"
  double testLoss = 0, testAccuracy = 0;  // NaN when null (no test set)
};

struct RunMetrics {
  std::vector<MetricsLine> lines;  // in file order
  // A last line cut short (a run killed while writing) is dropped, and said here.
  std::vector<std::string> warnings;
};

// Parses metrics.jsonl text. Throws sigma::Error "FILE:LINE:COL: error: ..."
// for a line that is not JSON or lacks a field (naming it).
RunMetrics parseMetrics(std::string_view text, const std::string& filename = "metrics.jsonl");

struct ReportOptions {
  std::string title{};                // default: "Sigma training report: <dir name>"
  std::vector<int64_t> imageShape{};  // heat map [rows, cols]; default: config.json's input_shape, else a square
  // Step lines beyond this many are thinned evenly (first and last kept),
  // so a run logged every step still gives a page a browser opens quickly.
  size_t maxPoints = 2000;
};

struct ReportSummary {
  std::string path;                   // RUN_DIR/report.html
  int charts = 0;                     // plots the page will draw, the heat map not counted
  bool heatmap = false;               // an input-importance heat map (image-shaped input)
  std::vector<std::string> warnings;  // e.g. no checkpoint: no importance plot
};

// The page's HTML for RUN_DIR (nothing written); `summary` may be null.
std::string buildReport(const std::string& runDir, const ReportOptions& options = {},
                        ReportSummary* summary = nullptr);
// Writes RUN_DIR/report.html. Throws sigma::Error naming the file at fault.
ReportSummary writeReport(const std::string& runDir, const ReportOptions& options = {});

inline constexpr const char* kReportFile = "report.html";
inline constexpr const char* kConfigFile = "config.json";

}  // namespace sigma
