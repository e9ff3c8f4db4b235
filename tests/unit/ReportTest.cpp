// `sigma report` (frontend/Report.h) and input importance
// (frontend/Importance.h). The report is rendered in headless Chromium, whose
// page script marks <div id="status"> once Chart.js has drawn every chart
// and the heat map is painted. Chromium is a test dependency
// (scripts/install-deps.sh): without it the rendering tests fail.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <map>
#include <regex>

#include <fmt/format.h>

#include "TrainTestSupport.h"
#include "frontend/Importance.h"
#include "frontend/Report.h"
#include "frontend/SeedNetwork.h"
#include "runtime/Checkpoint.h"

using namespace sigma;
using namespace sigma::traintest;

namespace {

// A run directory as `sigma train --out` leaves it, made up: 3 epochs of 4
// logged steps, an MLP with `in` inputs whose first-layer weights are
// largest in the middle of the image and exactly zero at its border.
void writeSyntheticRun(const std::string& dir, int64_t in, bool withCheckpoint, bool withConfig) {
  const std::vector<std::pair<std::string, std::vector<int64_t>>> layers = {
      {"fc1.weight", {8, in}}, {"fc1.bias", {8}}, {"fc2.weight", {10, 8}}, {"fc2.bias", {10}}};
  std::string metrics;
  auto weights = [&](int64_t step) {
    std::string s;
    for (size_t l = 0; l < layers.size(); ++l) {
      const double t = double(step) / 100, scale = double(l + 1);
      // One null gradient norm: what MetricsLog writes for a non-finite value.
      const std::string grad = step == 50 && l == 0 ? "null" : fmt::format("{}", 0.5 * scale * std::exp(-t));
      s += fmt::format("{}\"{}\":{{\"sum\":{},\"abs_sum\":{},\"sq_sum\":{},\"max_abs\":{},\"zeros\":{},\"grad_sq_sum\":{}}}",
                       l ? "," : "", layers[l].first, 0.1 * scale * std::sin(t), scale * (10 - t), scale * (5 - t / 2),
                       0.3 + 0.01 * t, l == 0 ? step * 3 : 0, grad);
    }
    return s;
  };
  int64_t step = 0;
  for (int64_t epoch = 1; epoch <= 3; ++epoch) {
    double mean = 0;
    for (int k = 0; k < 4; ++k) {
      step += 25;
      const double loss = 2.3 * std::exp(-double(step) / 150) + 0.1;
      mean += loss / 4;
      metrics += fmt::format("{{\"step\":{},\"epoch\":{},\"loss\":{},\"lr\":0.001,\"weights\":{{{}}}}}\n", step, epoch,
                             loss, weights(step));
    }
    metrics += fmt::format(
        "{{\"step\":{},\"epoch\":{},\"loss\":{},\"lr\":0.001,\"weights\":{{{}}},\"test_loss\":{},\"test_accuracy\":{}}}\n",
        step, epoch, mean, weights(step), mean * 1.1, 0.6 + 0.1 * double(epoch));
  }
  writeFile(dir + "/metrics.jsonl", metrics);
  // The importance after each epoch: the border's weights shrink to zero.
  std::string importance;
  const int64_t side = int64_t(std::llround(std::sqrt(double(in))));
  for (int64_t epoch = 1; epoch <= 3; ++epoch) {
    InputImportance imp{"fc1.weight", 8, in, {}};
    for (int64_t i = 0; i < in; ++i) {
      const int64_t r = i / side, c = i % side;
      const bool border = r < 2 || c < 2 || r >= side - 2 || c >= side - 2;
      imp.values.push_back(border ? 0.5f / float(epoch * epoch) : 0.5f + 0.1f * float(epoch) + 0.01f * float(i % 5));
    }
    importance += importanceLine(epoch, epoch * 100, imp) + "\n";
  }
  writeFile(dir + "/importance.jsonl", importance);

  if (withConfig)
    writeFile(dir + "/config.json", R"({"model": "mlp:784-8-10", "optimizer": {"name": "adam", "lr": 0.001},
                                      "l1": 1e-6, "input_shape": [1, 28, 28], "note": "</script><b>not html</b>"})");
  if (withCheckpoint) {
    const int64_t side = int64_t(std::llround(std::sqrt(double(in))));
    Checkpoint c;
    c.meta = {{"kind", "sigma-training-state"}, {"optimizer", "adam"}, {"step", "300"}, {"epoch", "3"}};
    for (const auto& [name, shape] : layers) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      std::vector<float> data(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) {
        if (name != "fc1.weight") {
          data[size_t(i)] = 0.01f * float(i % 7) - 0.03f;
          continue;
        }
        const int64_t col = i % in, r = col / side, c2 = col % side;
        const double dr = double(r) - double(side) / 2, dc = double(c2) - double(side) / 2;
        const bool border = r < 2 || c2 < 2 || r >= side - 2 || c2 >= side - 2;
        data[size_t(i)] = border ? 0.0f : float((i / in % 2 ? -1 : 1) * std::exp(-(dr * dr + dc * dc) / 40.0));
      }
      c.add(name, shape, data);
    }
    c.add("fc1.weight.m", layers[0].second, std::vector<float>(size_t(8 * in), 0.0f));
    saveCheckpoint(dir + "/checkpoint.sgck", c);
  }
}

using ShellRun = CliRun;
ShellRun shell(const std::string& command) { return runCommand(command); }

std::string findProgram(std::initializer_list<const char*> names) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::vector<std::string> list;
  for (std::string d; std::getline(dirs, d, ':');) list.push_back(d);
  for (const char* name : names)
    for (const std::string& d : list)
      if (::access((d + "/" + name).c_str(), X_OK) == 0) return d + "/" + name;
  return "";
}

// The attributes of <div id="status"> after Chromium ran the page's scripts.
std::map<std::string, std::string> renderedStatus(const std::string& html, std::string& log) {
  const std::string chromium = findProgram({"chromium", "chromium-browser", "google-chrome"});
  if (chromium.empty()) {
    ADD_FAILURE() << "Chromium is not installed: scripts/install-deps.sh installs it (Debian package chromium)";
    return {};
  }
  TempDir profile;
  // A throwaway profile and no background traffic: the page is all it loads.
  ShellRun run = shell(fmt::format("timeout 120 '{}' --headless --no-sandbox --disable-gpu --disable-background-networking "
                              "--disable-component-update --disable-sync --no-first-run --user-data-dir='{}' "
                              "--dump-dom 'file://{}' 2>'{}'",
                              chromium, profile.path(), html, profile.file("stderr.txt")));
  log = run.output.size() > 2000 ? run.output.substr(run.output.size() - 2000) : run.output;
  try {
    log += "\nchromium stderr:\n" + readFile(profile.file("stderr.txt")).substr(0, 2000);
  } catch (const std::exception&) {
  }
  EXPECT_EQ(run.status, 0) << log;
  std::smatch div;
  std::map<std::string, std::string> attributes;
  if (!std::regex_search(run.output, div, std::regex(R"(<div id="status"([^>]*)>([^<]*))"))) return attributes;
  const std::string attrs = div[1];
  std::regex attr(R"(data-([a-z-]+)="([^"]*)\")");
  for (std::sregex_iterator it(attrs.begin(), attrs.end(), attr), end; it != end; ++it) attributes[(*it)[1]] = (*it)[2];
  attributes["text"] = div[2];
  return attributes;
}

}  // namespace

TEST(InputImportance, IsTheColumnSumsOfAbsoluteFirstLayerWeights) {
  // W is [out=2, in=3], PyTorch's layout.
  const std::vector<float> w = {1, -2, 0, -3, 4, 0.5f};
  EXPECT_EQ(inputImportance(w, 2, 3), (std::vector<float>{4, 6, 0.5f}));
  EXPECT_EQ(errorOf([&] { inputImportance(w, 3, 3); }), "inputImportance: a [3, 3] weight has 9 values, got 6");

  Checkpoint c;
  c.add("bias", {3}, std::vector<float>{1, 2, 3});
  EXPECT_EQ(errorOf([&] { inputImportance(c, "run/checkpoint.sgck"); }),
            "run/checkpoint.sgck: no 2-D weight to compute input importance from (tensors must be [out, in] matrices)");
  c.add("fc1.weight", {2, 3}, w);
  c.add("fc2.weight", {1, 2}, std::vector<float>{9, 9});
  InputImportance imp = inputImportance(c);
  EXPECT_EQ(imp.layer, "fc1.weight");
  EXPECT_EQ(imp.outFeatures, 2);
  EXPECT_EQ(imp.inFeatures, 3);
  EXPECT_EQ(imp.values, (std::vector<float>{4, 6, 0.5f}));
}

TEST(InputImportance, OfACompiledStepUsesItsFirstLayer) {
  TrainingStep step = compile(seedNetwork(), seedLoss(), seedOptimizer(), {.batch = 4, .backend = Backend::Interpreter});
  InputImportance imp = inputImportance(step);
  EXPECT_EQ(imp.layer, "fc1.weight");
  ASSERT_EQ(imp.values.size(), 2u);
  std::span<const float> w = std::as_const(step).parameter("fc1.weight");  // [3, 2]
  for (int i = 0; i < 2; ++i)
    EXPECT_FLOAT_EQ(imp.values[size_t(i)], std::fabs(w[size_t(i)]) + std::fabs(w[size_t(2 + i)]) + std::fabs(w[size_t(4 + i)]));
}

TEST(ReportMetrics, ParsesStepAndEpochLines) {
  RunMetrics run = parseMetrics(
      "{\"step\":1,\"epoch\":1,\"loss\":0.5,\"lr\":0.1,\"weights\":{\"w\":{\"sum\":1,\"abs_sum\":2,\"sq_sum\":3,"
      "\"max_abs\":4,\"zeros\":5,\"grad_sq_sum\":null}}}\n"
      "{\"step\":1,\"epoch\":1,\"loss\":0.5,\"lr\":0.1,\"weights\":{},\"test_loss\":0.7,\"test_accuracy\":null}\n");
  ASSERT_EQ(run.lines.size(), 2u);
  EXPECT_FALSE(run.lines[0].isEpoch);
  ASSERT_EQ(run.lines[0].weights.size(), 1u);
  EXPECT_EQ(run.lines[0].weights[0].zeros, 5);
  EXPECT_TRUE(std::isnan(run.lines[0].weights[0].grad_sq_sum));
  EXPECT_TRUE(run.lines[1].isEpoch);
  EXPECT_EQ(run.lines[1].testLoss, 0.7);
  EXPECT_TRUE(std::isnan(run.lines[1].testAccuracy));
  EXPECT_TRUE(run.warnings.empty());
}

TEST(ReportMetrics, BadLinesAreErrorsNamingTheLine) {
  const std::string ok = "{\"step\":1,\"epoch\":1,\"loss\":0.5,\"lr\":0.1,\"weights\":{}}\n";
  std::string e = errorOf([&] { parseMetrics(ok + "{\"step\":2,\n" + ok, "m.jsonl"); });
  EXPECT_EQ(e.rfind("m.jsonl:2:", 0), 0u) << e;
  EXPECT_NE(e.find("not a JSON line"), std::string::npos) << e;
  EXPECT_EQ(errorOf([&] { parseMetrics(ok + "{\"step\":2,\"epoch\":1,\"lr\":0.1,\"weights\":{}}\n", "m.jsonl"); }),
            "m.jsonl:2:1: error: no \"loss\" field");
  EXPECT_EQ(errorOf([&] { parseMetrics("{\"step\":1,\"epoch\":1,\"loss\":0.5,\"lr\":0.1,\"weights\":{\"w\":{\"sum\":1}}}\n",
                                       "m.jsonl"); }),
            "m.jsonl:1:1: error: weights of 'w': no \"abs_sum\" field");
  EXPECT_EQ(errorOf([&] { parseMetrics("{\"step\":\"x\",\"epoch\":1,\"loss\":0.5,\"lr\":0.1,\"weights\":{}}\n", "m.jsonl"); }),
            "m.jsonl:1:1: error: \"step\" is \"x\", not an integer");
  EXPECT_EQ(errorOf([&] { parseMetrics("\n\n", "m.jsonl"); }), "m.jsonl: no metrics lines (did the run log any step?)");
  // A run killed mid-line leaves a last line without its newline: dropped, with a warning.
  RunMetrics cut = parseMetrics(ok + "{\"step\":2,\"ep", "m.jsonl");
  EXPECT_EQ(cut.lines.size(), 1u);
  ASSERT_EQ(cut.warnings.size(), 1u);
  EXPECT_NE(cut.warnings[0].find("m.jsonl:2: the last line is cut short"), std::string::npos);
}

TEST(Report, IsOneSelfContainedFile) {
  TempDir dir;
  writeSyntheticRun(dir.path(), 784, true, true);
  ReportSummary summary = writeReport(dir.path());
  EXPECT_EQ(summary.path, dir.file("report.html"));
  EXPECT_EQ(summary.charts, 10);  // loss/steps, epochs, Σw, Σ|w|, Σw², max|w|, Σg², sparsity, lr, importance trend
  EXPECT_TRUE(summary.heatmap);
  EXPECT_TRUE(summary.warnings.empty());
  const std::string html = readFile(summary.path);
  EXPECT_NE(html.find("Chart.js v4"), std::string::npos);  // the library, inlined
  // Nothing is loaded from anywhere: no external scripts, styles, images or frames.
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=)", std::regex::icase)));
  EXPECT_EQ(html.find("/*SIGMA_"), std::string::npos);
  // A config value cannot close the data block.
  EXPECT_EQ(html.find("</script><b>"), std::string::npos);
  EXPECT_NE(html.find("\\u003c/script>\\u003cb>"), std::string::npos);
  EXPECT_EQ(std::filesystem::exists(dir.file("report.html.tmp." + std::to_string(getpid()))), false);
}

TEST(Report, MissingOrBrokenInputsAreNamed) {
  TempDir dir;
  EXPECT_EQ(errorOf([&] { writeReport(dir.file("nope")); }),
            dir.file("nope") + ": not a directory (sigma report takes the --out directory of sigma train)");
  EXPECT_EQ(errorOf([&] { writeReport(dir.path()); }),
            dir.path() + ": no metrics.jsonl (sigma report takes the --out directory of sigma train)");
  writeSyntheticRun(dir.path(), 6, false, false);
  writeFile(dir.file("config.json"), "{\"a\": 1,\n \"b\": }");
  std::string e = errorOf([&] { writeReport(dir.path()); });
  EXPECT_EQ(e.rfind(dir.file("config.json") + ":2:", 0), 0u) << e;
  std::filesystem::remove(dir.file("config.json"));
  // No checkpoint: a report all the same, without importance, and said so.
  ReportSummary s = writeReport(dir.path());
  EXPECT_EQ(s.charts, 10);  // the trend still comes from importance.jsonl
  EXPECT_FALSE(s.heatmap);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("checkpoint.sgck does not exist"), std::string::npos);
  // A corrupt checkpoint: the same, with the checkpoint's own error.
  writeFile(dir.file("checkpoint.sgck"), "not a checkpoint at all");
  s = writeReport(dir.path());
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("no input importance"), std::string::npos) << s.warnings[0];
  // A broken importance.jsonl: no trend, and its line named.
  writeFile(dir.file("importance.jsonl"), "{\"epoch\": 1, \"step\": 2}\n");
  s = writeReport(dir.path());
  EXPECT_EQ(s.charts, 9);
  ASSERT_EQ(s.warnings.size(), 2u);
  EXPECT_NE(s.warnings[1].find("importance.jsonl:1: error: no \"layer\" field; the report has no importance trend"),
            std::string::npos)
      << s.warnings[1];
}

TEST(ReportCli, WritesTheReportOrOneErrorLine) {
  TempDir dir;
  writeSyntheticRun(dir.path(), 784, true, true);
  const std::string sigma = std::string(SIGMA_BINARY_DIR) + "/bin/sigma";
  ShellRun ok = shell(sigma + " report " + dir.path() + " 2>&1");
  EXPECT_EQ(ok.status, 0) << ok.output;
  EXPECT_EQ(ok.output, "sigma report: wrote " + dir.file("report.html") + " (10 charts and the input-importance heat map)\n");
  ShellRun bad = shell(sigma + " report " + dir.file("missing") + " 2>&1");
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.output, "sigma report: error: " + dir.file("missing") +
                            ": not a directory (sigma report takes the --out directory of sigma train)\n");
  ShellRun shape = shell(sigma + " report --image-shape 28x29 " + dir.path() + " 2>&1");
  EXPECT_EQ(shape.output, "sigma report: error: report: image shape [28,29] does not hold the first layer's 784 inputs\n");
  ShellRun none = shell(sigma + " report 2>&1");
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.output.find("usage: sigma report RUN_DIR"), std::string::npos) << none.output;
}

// The done-when of issue 6: the page, opened by a real browser, shows every
// plot and the heat map.
TEST(ReportInChromium, DrawsEveryChartAndTheHeatMap) {
  TempDir dir;
  writeSyntheticRun(dir.path(), 784, true, true);
  ReportSummary summary = writeReport(dir.path());
  std::string log;
  auto status = renderedStatus(summary.path, log);
  ASSERT_FALSE(status.empty()) << "no <div id=\"status\"> in Chromium's DOM\n" << log;
  EXPECT_EQ(status["state"], "ok") << status["text"] << "\n" << status["errors"];
  EXPECT_EQ(status["charts-expected"], std::to_string(summary.charts));
  EXPECT_EQ(status["charts-drawn"], std::to_string(summary.charts)) << status["text"];
  EXPECT_EQ(status["heatmap"], "drawn");
  EXPECT_EQ(status["trend-maps"], "3/3");  // one heat map per epoch, up to four
  EXPECT_EQ(status["errors"], "");
}

TEST(ReportInChromium, NonImageInputsGetABarChart) {
  TempDir dir;
  writeSyntheticRun(dir.path(), 6, true, false);  // 6 inputs: not an image
  ReportSummary summary = writeReport(dir.path());
  EXPECT_EQ(summary.charts, 11);  // the ten, and importance as bars
  EXPECT_FALSE(summary.heatmap);
  std::string log;
  auto status = renderedStatus(summary.path, log);
  ASSERT_FALSE(status.empty()) << log;
  EXPECT_EQ(status["state"], "ok") << status["text"];
  EXPECT_EQ(status["charts-drawn"], "11") << status["text"];
  EXPECT_EQ(status["heatmap"], "none");
  EXPECT_EQ(status["trend-maps"], "none");
}

// The check above is only worth something if it can fail: the same page
// without its chart library must report that nothing was drawn.
TEST(ReportInChromium, APageWhoseChartsFailSaysSo) {
  TempDir dir;
  writeSyntheticRun(dir.path(), 784, true, true);
  ReportSummary summary = writeReport(dir.path());
  std::string html = readFile(summary.path);
  const size_t banner = html.find("Chart.js v4");
  ASSERT_NE(banner, std::string::npos);
  const size_t open = html.rfind("<script>", banner) + std::string("<script>").size();
  const size_t close = html.find("</script>", banner);
  html.replace(open, close - open, "");
  writeFile(summary.path, html);
  std::string log;
  auto status = renderedStatus(summary.path, log);
  ASSERT_FALSE(status.empty()) << log;
  EXPECT_EQ(status["state"], "error");
  EXPECT_EQ(status["charts-drawn"], "0");
  EXPECT_NE(status["errors"].find("Chart is not defined"), std::string::npos) << status["errors"];
}

// The issue's criterion, end to end: `sigma train --out` on the real
// Fashion-MNIST (Debian's dataset-fashion-mnist; a small MLP, 2 epochs)
// leaves a report.html that draws, in headless Chromium, the loss, accuracy
// and weight-sum plots, the 28×28 importance heat map (config.json gives the
// shape) and its trend over the epochs.
TEST(ReportInChromium, AFashionMnistRunDrawsEverything) {
  TempDir dir;
  const std::string sigma = std::string(SIGMA_BINARY_DIR) + "/bin/sigma";
  ShellRun train = shell(sigma + " train --model mlp:784-32-10 --act relu --data fashion-mnist --epochs 2 "
                                 "--optimizer adam --lr 1e-3 --l1 1e-5 --progress off --out " + dir.path() + " 2>&1");
  ASSERT_EQ(train.status, 0) << train.output;
  EXPECT_NE(train.output.find("final test_accuracy"), std::string::npos) << train.output;
  for (const char* f : {"config.json", "metrics.jsonl", "importance.jsonl", "checkpoint.sgck", "report.html"})
    EXPECT_TRUE(std::filesystem::exists(dir.file(f))) << f;
  std::string log;
  auto status = renderedStatus(dir.file("report.html"), log);
  ASSERT_FALSE(status.empty()) << log;
  EXPECT_EQ(status["state"], "ok") << status["text"] << "\n" << status["errors"];
  EXPECT_EQ(status["charts-expected"], "10");  // loss ×2, 5 weight statistics, sparsity, lr, importance trend
  EXPECT_EQ(status["charts-drawn"], "10") << status["text"];
  EXPECT_EQ(status["heatmap"], "drawn");
  EXPECT_EQ(status["trend-maps"], "2/2");
  const std::string html = readFile(dir.file("report.html"));
  for (const char* id : {"loss-steps", "epochs", "w-abs_sum", "w-sq_sum", "importance-trend"})
    EXPECT_NE(html.find(std::string("\"id\":\"") + id + "\""), std::string::npos) << id;
}
