#include "frontend/TrainingGraph.h"

#include "passes/Autodiff.h"

namespace sigma {

void buildTrainingStep(GraphBuilder& builder, Tensor prediction, const Loss& loss, const Optimizer& optimizer) {
  Graph& g = builder.graph();
  Tensor target = builder.input("target", loss.targetType(prediction.type()).shape);
  Tensor lr = builder.input("lr", {});
  Tensor dataLoss = loss(prediction, target);

  // Penalties on the pre-update weights; Σ|w| is shared with the statistics.
  g.currentPart = Part::Penalty;
  std::vector<Node*> params = g.parameters();
  std::vector<Tensor> absSum(params.size()), sqSum(params.size());
  Tensor total = dataLoss;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor w(&g, params[i]);
    absSum[i] = sum(abs(w));
    sqSum[i] = sum(square(w));
    const Regularizer& reg = builder.spec(params[i]->name)->reg;
    if (reg.l1 != 0) total = total + reg.l1 * absSum[i];
    if (reg.l2 != 0) total = total + reg.l2 * sqSum[i];
  }

  std::vector<Node*> grads = differentiate(g, dataLoss.node(), params);

  // Full gradient = data gradient + penalty gradients (λ1·sign(w) + 2λ2·w),
  // then the optimizer's update.
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor w(&g, params[i]), grad(&g, grads[i]);
    const Regularizer& reg = builder.spec(params[i]->name)->reg;
    g.currentPart = Part::Penalty;
    if (reg.l1 != 0) grad = grad + reg.l1 * sign(w);
    if (reg.l2 != 0) grad = grad + (2 * reg.l2) * w;
    g.currentPart = Part::Stats;
    const std::string& name = params[i]->name;
    g.addOutput(name + ".sum", sum(w).node());
    g.addOutput(name + ".abs_sum", absSum[i].node());
    g.addOutput(name + ".sq_sum", sqSum[i].node());
    g.addOutput(name + ".max_abs", max(abs(w)).node());
    g.addOutput(name + ".zeros", sum(1.0f - abs(sign(w))).node());
    g.addOutput(name + ".grad_sq_sum", sum(square(grad)).node());
    g.currentPart = Part::Update;
    g.addUpdate(params[i], optimizer.update(w, grad, lr).node());
  }
  g.currentPart = Part::Forward;
  g.outputs().insert(g.outputs().begin(), {{"loss", total.node()}, {"data_loss", dataLoss.node()}});
}

}  // namespace sigma
