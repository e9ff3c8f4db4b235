#include "frontend/Report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "frontend/Importance.h"
#include "ir/Error.h"
#include "runtime/Checkpoint.h"

// The page's assets, compiled in by cmake/EmbedFile.cmake.
namespace sigma::embedded {
extern const unsigned char chart_js[];
extern const unsigned long chart_js_size;
extern const unsigned char report_page[];
extern const unsigned long report_page_size;
}  // namespace sigma::embedded

namespace sigma {

namespace fs = std::filesystem;
// ordered: layers and configuration keys keep the order of their files.
using json = nlohmann::ordered_json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ------------------------------------------------------------ metrics.jsonl

struct LineContext {
  const std::string& file;
  size_t line;
};

[[noreturn]] void lineError(const LineContext& at, size_t column, const std::string& message) {
  fail("{}:{}:{}: error: {}", at.file, at.line, column, message);
}

const json& field(const json& object, const char* key, const LineContext& at, const std::string& where = "") {
  auto it = object.find(key);
  if (it == object.end()) lineError(at, 1, fmt::format("{}no \"{}\" field", where, key));
  return *it;
}

// A number, or NaN for null (MetricsLog writes non-finite values as null).
double number(const json& object, const char* key, const LineContext& at, const std::string& where = "") {
  const json& v = field(object, key, at, where);
  if (v.is_null()) return kNaN;
  if (!v.is_number()) lineError(at, 1, fmt::format("{}\"{}\" is {}, not a number", where, key, v.type_name()));
  return v.get<double>();
}

int64_t integer(const json& object, const char* key, const LineContext& at) {
  const json& v = field(object, key, at);
  if (!v.is_number_integer()) lineError(at, 1, fmt::format("\"{}\" is {}, not an integer", key, v.dump()));
  return v.get<int64_t>();
}

MetricsLine parseLine(const json& j, const LineContext& at) {
  if (!j.is_object()) lineError(at, 1, fmt::format("a metrics line is a JSON object, not {}", j.type_name()));
  MetricsLine m;
  m.step = integer(j, "step", at);
  m.epoch = integer(j, "epoch", at);
  m.loss = number(j, "loss", at);
  m.lr = number(j, "lr", at);
  const json& weights = field(j, "weights", at);
  if (!weights.is_object()) lineError(at, 1, "\"weights\" is not an object");
  for (const auto& [name, w] : weights.items()) {
    const std::string where = fmt::format("weights of '{}': ", name);
    if (!w.is_object()) lineError(at, 1, where + "not an object");
    m.weights.push_back({name, number(w, "sum", at, where), number(w, "abs_sum", at, where),
                         number(w, "sq_sum", at, where), number(w, "max_abs", at, where),
                         number(w, "zeros", at, where), number(w, "grad_sq_sum", at, where)});
  }
  m.isEpoch = j.contains("test_loss") || j.contains("test_accuracy");
  if (m.isEpoch) {
    m.testLoss = number(j, "test_loss", at);
    m.testAccuracy = number(j, "test_accuracy", at);
  }
  return m;
}

// ------------------------------------------------------------ files

std::string readText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot read it", path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json readConfig(const fs::path& path) {
  const std::string text = readText(path);
  try {
    json j = json::parse(text);
    if (!j.is_object()) fail("{}:1:1: error: the configuration is a JSON object, not {}", path.string(), j.type_name());
    return j;
  } catch (const json::parse_error& e) {
    // Byte offset to line:column, like every other Sigma message.
    size_t line = 1, column = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) text[i] == '\n' ? (++line, column = 1) : ++column;
    fail("{}:{}:{}: error: not JSON: {}", path.string(), line, column, e.what());
  }
}

void writeAtomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) fail("{}: cannot write it", tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    fail("{}: cannot write it: {}", path.string(), ec.message());
  }
}

// ------------------------------------------------------------ the page's data

// A value for the page: finite numbers as they are, everything else null
// (Chart.js leaves a gap).
json value(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
// Floats via their shortest decimal form, so 0.1f prints as 0.1, not 0.10000000149011612.
json shortFloat(float v) { return std::isfinite(v) ? json(std::stod(fmt::format("{}", v))) : json(nullptr); }

json dataset(const std::string& label, json points, const std::string& axis = "y") {
  return {{"label", label}, {"data", std::move(points)}, {"yAxisID", axis}};
}

json chart(const std::string& id, const std::string& section, const std::string& title, const std::string& xLabel,
           const std::string& yLabel, json datasets) {
  return {{"id", id},         {"section", section}, {"title", title}, {"xLabel", xLabel},
          {"yLabel", yLabel}, {"type", "line"},     {"logY", false},  {"datasets", std::move(datasets)}};
}

bool hasPoint(const json& datasets) {
  for (const json& d : datasets)
    for (const json& p : d["data"])
      if (!p[1].is_null()) return true;
  return false;
}

// Evenly spaced indices into n items, at most `limit`, first and last kept.
std::vector<size_t> thin(size_t n, size_t limit) {
  std::vector<size_t> picked;
  if (n <= limit || limit < 2) {
    for (size_t i = 0; i < n; ++i) picked.push_back(i);
    return picked;
  }
  for (size_t k = 0; k < limit; ++k) picked.push_back(size_t(double(k) * double(n - 1) / double(limit - 1) + 0.5));
  return picked;
}

// The heat map's [rows, cols] for `features` inputs, or empty (a bar chart).
std::vector<int64_t> imageShapeFor(int64_t features, const ReportOptions& options, const json& config) {
  auto fits = [&](const std::vector<int64_t>& s) {
    return s.size() == 2 && s[0] > 0 && s[1] > 0 && s[0] * s[1] == features;
  };
  if (!options.imageShape.empty()) {
    if (!fits(options.imageShape))
      fail("report: image shape [{}] does not hold the first layer's {} inputs", fmt::join(options.imageShape, ","), features);
    return options.imageShape;
  }
  if (config.is_object() && config.contains("input_shape") && config["input_shape"].is_array()) {
    std::vector<int64_t> s;
    for (const json& d : config["input_shape"])
      if (d.is_number_integer()) s.push_back(d.get<int64_t>());
    while (s.size() > 2 && s.front() == 1) s.erase(s.begin());  // [1, 28, 28]: one channel
    if (fits(s)) return s;
  }
  const auto side = int64_t(std::llround(std::sqrt(double(features))));
  if (features >= 16 && side * side == features) return {side, side};
  return {};
}

std::string htmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

void replaceOnce(std::string& text, const std::string& placeholder, const std::string& with) {
  size_t at = text.find(placeholder);
  if (at == std::string::npos) fail("report: the page template lacks {}", placeholder);
  text.replace(at, placeholder.size(), with);
}

}  // namespace

RunMetrics parseMetrics(std::string_view text, const std::string& filename) {
  RunMetrics run;
  size_t start = 0, lineNumber = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    const bool complete = end != std::string_view::npos;
    if (!complete) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++lineNumber;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    LineContext at{filename, lineNumber};
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      // MetricsLog writes whole lines and flushes them; only a run killed
      // mid-write leaves a last line without its newline.
      if (!complete) {
        run.warnings.push_back(fmt::format("{}:{}: the last line is cut short (was the run killed?); it is ignored",
                                           filename, lineNumber));
        break;
      }
      lineError(at, e.byte ? e.byte : 1, fmt::format("not a JSON line: {}", e.what()));
    }
    run.lines.push_back(parseLine(j, at));
  }
  if (run.lines.empty()) fail("{}: no metrics lines (did the run log any step?)", filename);
  return run;
}

std::string buildReport(const std::string& runDir, const ReportOptions& options, ReportSummary* summaryOut) {
  const fs::path dir = runDir;
  if (!fs::is_directory(dir)) fail("{}: not a directory (sigma report takes the --out directory of sigma train)", runDir);
  const fs::path metricsPath = dir / "metrics.jsonl";
  if (!fs::exists(metricsPath))
    fail("{}: no metrics.jsonl (sigma report takes the --out directory of sigma train)", runDir);
  RunMetrics run = parseMetrics(readText(metricsPath), metricsPath.string());
  ReportSummary summary;
  summary.warnings = run.warnings;

  json config = nullptr;
  if (fs::exists(dir / kConfigFile)) config = readConfig(dir / kConfigFile);

  std::optional<Checkpoint> checkpoint;
  const fs::path checkpointPath = dir / "checkpoint.sgck";
  if (fs::exists(checkpointPath)) {
    try {
      checkpoint = loadCheckpoint(checkpointPath.string());
    } catch (const Error& e) {
      // The metrics alone still make a report; say what is missing and why.
      summary.warnings.push_back(std::string(e.what()) + "; the report has no input importance");
    }
  } else {
    summary.warnings.push_back(checkpointPath.string() + " does not exist: the report has no input importance");
  }

  // Layers in order of first appearance, with their sizes when the checkpoint knows them.
  std::vector<std::string> layers;
  for (const MetricsLine& m : run.lines)
    for (const LayerStats& w : m.weights)
      if (std::find(layers.begin(), layers.end(), w.name) == layers.end()) layers.push_back(w.name);
  std::map<std::string, int64_t> numel;
  if (checkpoint)
    for (const NamedTensor& t : checkpoint->tensors) numel[t.name] = t.numel();

  std::vector<const MetricsLine*> steps, epochs, all;
  for (const MetricsLine& m : run.lines) (m.isEpoch ? epochs : steps).push_back(&m);
  // An epoch line repeats its last step's weights: one point per step.
  for (const MetricsLine& m : run.lines)
    if (all.empty() || all.back()->step != m.step) all.push_back(&m);
  std::vector<const MetricsLine*> stepsShown, allShown;
  for (size_t i : thin(steps.size(), options.maxPoints)) stepsShown.push_back(steps[i]);
  for (size_t i : thin(all.size(), options.maxPoints)) allShown.push_back(all[i]);

  json charts = json::array();
  auto add = [&](json c) {
    if (hasPoint(c["datasets"])) charts.push_back(std::move(c));
  };

  // Loss and accuracy.
  {
    json logged = json::array(), epochLoss = json::array(), testLoss = json::array();
    for (const MetricsLine* m : stepsShown) logged.push_back({m->step, value(m->loss)});
    for (const MetricsLine* m : epochs) epochLoss.push_back({m->step, value(m->loss)});
    for (const MetricsLine* m : epochs) testLoss.push_back({m->step, value(m->testLoss)});
    add(chart("loss-steps", "loss", "Loss over training steps", "step", "loss (data + penalties)",
              {dataset("training loss, logged steps", logged), dataset("training loss, epoch mean", epochLoss),
               dataset("test loss (after each epoch)", testLoss)}));
    json trainE = json::array(), testE = json::array(), accE = json::array();
    for (const MetricsLine* m : epochs) {
      trainE.push_back({m->epoch, value(m->loss)});
      testE.push_back({m->epoch, value(m->testLoss)});
      accE.push_back({m->epoch, value(m->testAccuracy * 100)});
    }
    json c = chart("epochs", "loss", "Loss and test accuracy per epoch", "epoch", "loss",
                   {dataset("training loss (mean)", trainE), dataset("test loss", testE),
                    dataset("test accuracy (%)", accE, "y2")});
    c["y2Label"] = "test accuracy (%)";
    add(std::move(c));
  }
  // Weight statistics, one line per layer.
  struct Stat {
    const char* id;
    double LayerStats::*member;
    const char* title;
    const char* axis;
  };
  const Stat stats[] = {{"sum", &LayerStats::sum, "Σw per layer", "Σw"},
                        {"abs_sum", &LayerStats::abs_sum, "Σ|w| per layer (L1 norm)", "Σ|w|"},
                        {"sq_sum", &LayerStats::sq_sum, "Σw² per layer (squared L2 norm)", "Σw²"},
                        {"max_abs", &LayerStats::max_abs, "max|w| per layer", "max|w|"},
                        {"grad_sq_sum", &LayerStats::grad_sq_sum, "Gradient Σg² per layer (log scale)", "Σg²"}};
  auto series = [&](const std::string& layer, auto&& y) {
    json points = json::array();
    for (const MetricsLine* m : allShown)
      for (const LayerStats& w : m->weights)
        if (w.name == layer) points.push_back({m->step, value(y(w))});
    return points;
  };
  for (const Stat& s : stats) {
    json sets = json::array();
    for (const std::string& layer : layers) sets.push_back(dataset(layer, series(layer, [&](const LayerStats& w) {
      return s.member == &LayerStats::grad_sq_sum && !(w.*s.member > 0) ? kNaN : w.*s.member;
    })));
    json c = chart(std::string("w-") + s.id, s.member == &LayerStats::grad_sq_sum ? "sparsity" : "weights", s.title,
                   "step", s.axis, std::move(sets));
    c["logY"] = s.member == &LayerStats::grad_sq_sum;
    add(std::move(c));
  }
  {
    const bool shares = std::all_of(layers.begin(), layers.end(), [&](const std::string& l) { return numel.count(l); });
    json sets = json::array();
    for (const std::string& layer : layers)
      sets.push_back(dataset(layer, series(layer, [&](const LayerStats& w) {
        return shares ? 100.0 * w.zeros / double(numel[layer]) : w.zeros;
      })));
    add(chart("sparsity", "sparsity", shares ? "Sparsity: share of exact zeros per layer" : "Exact zeros per layer",
              "step", shares ? "zeros (% of the layer's weights)" : "zeros (count)", std::move(sets)));
    json lr = json::array();
    for (const MetricsLine* m : allShown) lr.push_back({m->step, value(m->lr)});
    add(chart("lr", "sparsity", "Learning rate", "step", "lr", {dataset("learning rate", lr)}));
  }

  // Input importance from the final weights.
  json importance = nullptr;
  std::optional<InputImportance> found;
  if (checkpoint) {
    try {
      found = inputImportance(*checkpoint, checkpointPath.string());
    } catch (const Error& e) {
      summary.warnings.push_back(e.what());
    }
  }
  if (found) {
    const InputImportance& imp = *found;
    // A shape the user asked for that does not fit is an error, not a warning.
    std::vector<int64_t> shape = imageShapeFor(imp.inFeatures, options, config);
    json values = json::array();
    for (float v : imp.values) values.push_back(shortFloat(v));
    importance = {{"layer", imp.layer}, {"out", imp.outFeatures}, {"in", imp.inFeatures}, {"values", values},
                  {"step", checkpoint->meta.count("step") ? checkpoint->meta.at("step") : "?"}};
    if (!shape.empty()) {
      importance["rows"] = shape[0], importance["cols"] = shape[1];
      summary.heatmap = true;
    } else {
      json bars = json::array();
      for (size_t i = 0; i < imp.values.size(); ++i) bars.push_back({i, shortFloat(imp.values[i])});
      json c = chart("importance", "importance", "Input importance: Σ|w| of each feature's first-layer weights",
                     "input feature", "Σ_out |W[out, feature]|", {dataset(imp.layer, bars)});
      c["type"] = "bar";
      add(std::move(c));
    }
  }

  // The trend: importance.jsonl's snapshots, one per epoch. A line chart of
  // the features that matter most at the end (and the mean of all), and for
  // image inputs heat maps at up to four epochs, first and last included.
  json trend = nullptr;
  if (fs::exists(dir / kImportanceFile)) {
    std::vector<ImportanceSnapshot> snaps;
    try {
      snaps = parseImportanceLog(readText(dir / kImportanceFile), (dir / kImportanceFile).string());
    } catch (const Error& e) {
      summary.warnings.push_back(std::string(e.what()) + "; the report has no importance trend");
    }
    if (!snaps.empty()) {
      const std::vector<float>& final = snaps.back().importance.values;
      std::vector<size_t> order(final.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return final[a] > final[b]; });
      order.resize(std::min<size_t>(order.size(), 8));
      const std::vector<int64_t> shape = imageShapeFor(int64_t(final.size()), options, config);
      auto featureName = [&](size_t i) {
        return shape.empty() ? fmt::format("feature {}", i)
                             : fmt::format("feature {} (row {}, col {})", i, int64_t(i) / shape[1], int64_t(i) % shape[1]);
      };
      json sets = json::array();
      for (size_t f : order) {
        json points = json::array();
        for (const ImportanceSnapshot& sn : snaps) points.push_back({sn.epoch, shortFloat(sn.importance.values[f])});
        sets.push_back(dataset(featureName(f), points));
      }
      json mean = json::array();
      for (const ImportanceSnapshot& sn : snaps) {
        double total = 0;
        for (float v : sn.importance.values) total += v;
        mean.push_back({sn.epoch, value(total / double(sn.importance.values.size()))});
      }
      sets.push_back(dataset("mean over all features", mean));
      add(chart("importance-trend", "importance", "Importance over training: the final top features and the mean",
                "epoch", "Σ_out |W[out, feature]|", std::move(sets)));
      if (!shape.empty()) {
        json maps = json::array();
        for (size_t k : thin(snaps.size(), 4)) {
          json values = json::array();
          for (float v : snaps[k].importance.values) values.push_back(shortFloat(v));
          maps.push_back({{"epoch", snaps[k].epoch}, {"step", snaps[k].step}, {"values", values}});
        }
        trend = {{"layer", snaps.back().importance.layer}, {"rows", shape[0]}, {"cols", shape[1]}, {"maps", maps}};
      }
    }
  }

  // The weights' shapes and final state, from the checkpoint.
  json tensors = json::array();
  if (checkpoint)
    for (const NamedTensor& t : checkpoint->tensors) {
      double abs = 0;
      int64_t zeros = 0;
      for (float v : t.data) abs += std::fabs(double(v)), zeros += v == 0.0f;
      tensors.push_back({{"name", t.name}, {"shape", t.shape}, {"numel", t.numel()}, {"abs_sum", value(abs)},
                         {"zeros", zeros}});
    }

  const MetricsLine& last = run.lines.back();
  double totalAbs = 0;
  for (const LayerStats& w : last.weights) totalAbs += w.abs_sum;
  json headline = {{"steps", last.step}, {"epochs", epochs.empty() ? 0 : epochs.back()->epoch},
                   {"final_loss", value(last.loss)}, {"total_abs_sum", value(totalAbs)}, {"lines", run.lines.size()},
                   {"final_test_accuracy", epochs.empty() ? json(nullptr) : value(epochs.back()->testAccuracy)}};

  const std::string dirName = fs::absolute(dir).lexically_normal().filename().string();
  const std::string title = options.title.empty() ? "Sigma training report: " + dirName : options.title;
  json data = {{"title", title},           {"runDir", runDir},
               {"headline", headline},     {"charts", charts},
               {"importance", importance}, {"importanceTrend", trend}, {"config", config},
               {"checkpoint", checkpoint ? json(checkpoint->meta) : json(nullptr)},
               {"tensors", tensors},       {"warnings", summary.warnings}};

  // '<' only occurs inside JSON strings, where \u003c means the same: no
  // "</script>" in a file name or config value can end the data block.
  std::string dataText;
  for (char c : data.dump(-1, ' ', false, json::error_handler_t::replace)) c == '<' ? dataText += "\\u003c" : dataText += c;

  std::string page(reinterpret_cast<const char*>(embedded::report_page), embedded::report_page_size);
  replaceOnce(page, "<!--SIGMA_TITLE-->", htmlEscape(title));
  replaceOnce(page, "/*SIGMA_DATA*/", dataText);
  // Last, so no placeholder text inside the library can be replaced by mistake.
  replaceOnce(page, "/*SIGMA_CHART_JS*/", std::string(reinterpret_cast<const char*>(embedded::chart_js), embedded::chart_js_size));

  summary.path = (dir / kReportFile).string();
  summary.charts = int(charts.size());
  if (summaryOut) *summaryOut = summary;
  return page;
}

ReportSummary writeReport(const std::string& runDir, const ReportOptions& options) {
  ReportSummary summary;
  std::string page = buildReport(runDir, options, &summary);
  writeAtomically(summary.path, page);
  return summary;
}

}  // namespace sigma
