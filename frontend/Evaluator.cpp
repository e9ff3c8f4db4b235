#include "frontend/Evaluator.h"

#include <algorithm>
#include <cstring>

#include "ir/Error.h"
#include "ir/GraphVerifier.h"
#include "passes/PassManager.h"

namespace sigma {

TargetEncoding targetEncoding(const TrainingStep& step, const Dataset& data) {
  const int64_t batch = step.batch();
  const int64_t inputPerRow = step.inputSize() / batch, targetPerRow = step.targetSize() / batch;
  if (inputPerRow != data.sampleSize())
    fail("data set '{}' has {} features per sample; the model's input x takes {}", data.name, data.sampleSize(),
         inputPerRow);
  if (targetPerRow == data.numClasses && data.numClasses > 1) return TargetEncoding::OneHot;
  if (targetPerRow == 1) return TargetEncoding::Label;
  fail("data set '{}' has {} classes, but the model predicts {} values per sample (one-hot targets need {}, a "
       "label target 1)",
       data.name, data.numClasses, targetPerRow, data.numClasses);
}

void encodeTargets(TargetEncoding encoding, const int32_t* labels, int64_t count, int64_t numClasses, float* target) {
  if (encoding == TargetEncoding::Label) {
    for (int64_t i = 0; i < count; ++i) target[i] = float(labels[i]);
    return;
  }
  std::fill(target, target + count * numClasses, 0.0f);
  for (int64_t i = 0; i < count; ++i) target[i * numClasses + labels[i]] = 1.0f;
}

Evaluator::Evaluator(const TrainingStep& step) : parameters_(step.parameterNames()) {
  Graph graph = cloneGraph(step.forwardGraph());
  graph.setName(graph.name() + "_eval");
  Node* prediction = graph.nodes()[size_t(step.forwardPrediction()->id)].get();
  Tensor pred(&graph, prediction);
  Tensor target(&graph, graph.input("target", step.loss().targetType(prediction->type)));
  graph.addOutput("loss", step.loss()(pred, target).node());
  graph.addOutput("prediction", prediction);
  verifyGraph(graph);
  // Read before the passes run: they may replace the prediction's node.
  batch_ = step.batch();
  classes_ = prediction->type.size() / batch_;

  IRUnit unit;
  unit.graph = std::move(graph);
  unit.target = LoweringTarget::host(step.executableOptions().isa);
  PassManager pm;
  pm.run(unit, defaultPipeline());
  exec_ = std::make_unique<Executable>(std::move(unit.loops), step.executableOptions());

  inputPerRow_ = step.inputSize() / batch_;
  targetPerRow_ = step.targetSize() / batch_;
  // An mse model predicts the label itself (0 or 1); any other loss takes
  // logits, whose decision boundary is 0.
  threshold_ = step.loss().kind == Loss::Kind::MSE ? 0.5f : 0.0f;
  x_ = exec_->f32("x").data();
  target_ = exec_->f32("target").data();
  loss_ = std::as_const(*exec_).f32("loss").data();
  prediction_ = std::as_const(*exec_).f32("prediction").data();
}

Evaluator::~Evaluator() = default;
Evaluator::Evaluator(Evaluator&&) noexcept = default;

void Evaluator::runBatch() { exec_->run(); }

EvalResult Evaluator::evaluate(const TrainingStep& step, const Dataset& data) {
  for (const std::string& name : parameters_) {
    std::span<const float> from = step.parameter(name);
    std::memcpy(exec_->f32(name).data(), from.data(), from.size_bytes());
  }
  const TargetEncoding encoding = targetEncoding(step, data);
  std::vector<int32_t> labels(static_cast<size_t>(batch_));
  EvalResult result;
  double lossSum = 0;
  int64_t correct = 0;
  BatchIterator it(data, batch_, PartialBatch::Pad);
  while (int64_t valid = it.next(x_, labels.data())) {
    encodeTargets(encoding, labels.data(), valid, data.numClasses, target_);
    // Pad with copies of row 0 (see the header) rather than zero rows.
    for (int64_t r = valid; r < batch_; ++r) {
      std::memcpy(x_ + r * inputPerRow_, x_, size_t(inputPerRow_) * sizeof(float));
      std::memcpy(target_ + r * targetPerRow_, target_, size_t(targetPerRow_) * sizeof(float));
    }
    runBatch();
    double batchSum = double(*loss_) * double(batch_);
    for (int64_t r = 0; r < valid; ++r) {
      const float* row = prediction_ + r * classes_;
      int64_t predicted = classes_ == 1 ? (row[0] > threshold_ ? 1 : 0) : std::max_element(row, row + classes_) - row;
      correct += predicted == labels[size_t(r)];
    }
    if (valid < batch_) {
      for (int64_t r = 1; r < valid; ++r) {
        std::memcpy(x_ + r * inputPerRow_, x_, size_t(inputPerRow_) * sizeof(float));
        std::memcpy(target_ + r * targetPerRow_, target_, size_t(targetPerRow_) * sizeof(float));
      }
      runBatch();
      batchSum -= double(*loss_) * double(batch_ - valid);
    }
    lossSum += batchSum;
    result.count += valid;
  }
  if (result.count == 0) fail("evaluate: data set '{}' has no samples", data.name);
  result.loss = lossSum / double(result.count);
  result.accuracy = double(correct) / double(result.count);
  return result;
}

}  // namespace sigma
