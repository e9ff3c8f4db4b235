#include "frontend/TrainingGraph.h"

#include "ir/Error.h"
#include "passes/Autodiff.h"

namespace sigma {

Regularizer effectiveRegularizer(const ParameterSpec& spec, const Shape& shape,
                                 const std::vector<RegularizerRule>& rules) {
  Regularizer reg = spec.reg;
  for (const RegularizerRule& rule : rules)
    if ((rule.includeVectors || shape.size() >= 2) && globMatch(rule.pattern, spec.name)) reg = rule.reg;
  return reg;
}

TrainingGraphInfo buildTrainingStep(GraphBuilder& builder, Tensor prediction, const Loss& loss,
                                    const Optimizer& optimizer, const std::vector<RegularizerRule>& rules,
                                    bool weightStats) {
  Graph& g = builder.graph();
  TrainingGraphInfo info;
  info.weightStats = weightStats;
  Tensor target = builder.input("target", loss.targetType(prediction.type()).shape);
  Tensor lr = builder.input("lr", {});
  std::vector<Tensor> scalars;
  for (const std::string& name : optimizer.scalarInputs()) {
    scalars.push_back(builder.input(name, {}));
    info.scalarInputs.push_back(name);
  }
  Tensor dataLoss = loss(prediction, target);

  // Penalties on the pre-update weights; Σ|w| is shared with the statistics.
  // Coefficients are inputs (P.l1, P.l2), so they can change between steps.
  g.currentPart = Part::Penalty;
  std::vector<Node*> params = g.parameters();
  const size_t n = params.size();
  std::vector<Tensor> absSum(n), sqSum(n), l1(n), l2(n);
  std::vector<Regularizer> regs(n);
  Tensor total = dataLoss;
  for (size_t i = 0; i < n; ++i) {
    Tensor w(&g, params[i]);
    const std::string& name = params[i]->name;
    const ParameterSpec* spec = builder.spec(name);
    if (!spec) fail("training step: parameter '{}' was not declared through the GraphBuilder", name);
    info.parameters.push_back(name);
    absSum[i] = sum(abs(w));
    sqSum[i] = sum(square(w));
    regs[i] = effectiveRegularizer(*spec, w.shape(), rules);
    if (regs[i].empty()) continue;
    info.regularized.push_back({name, regs[i]});
    l1[i] = builder.input(name + ".l1", {});
    l2[i] = builder.input(name + ".l2", {});
    total = total + l1[i] * absSum[i];
    total = total + l2[i] * sqSum[i];
  }

  std::vector<Node*> grads = differentiate(g, dataLoss.node(), params);

  // Full gradient = data gradient + penalty gradients (λ1·sign(w) + 2λ2·w),
  // then the optimizer's update.
  for (size_t i = 0; i < n; ++i) {
    Tensor w(&g, params[i]), grad(&g, grads[i]);
    const std::string& name = params[i]->name;
    g.currentPart = Part::Penalty;
    if (!regs[i].empty()) {
      if (!regs[i].proximal) grad = grad + l1[i] * sign(w);
      grad = grad + (2.0f * l2[i]) * w;
    }
    g.currentPart = Part::Stats;
    if (weightStats) {
      g.addOutput(name + ".sum", sum(w).node());
      g.addOutput(name + ".abs_sum", absSum[i].node());
      g.addOutput(name + ".sq_sum", sqSum[i].node());
      g.addOutput(name + ".max_abs", max(abs(w)).node());
      g.addOutput(name + ".zeros", sum(1.0f - abs(sign(w))).node());
      g.addOutput(name + ".grad_sq_sum", sum(square(grad)).node());
    }

    g.currentPart = Part::Update;
    std::vector<Tensor> state;
    for (const std::string& suffix : optimizer.stateSuffixes()) {
      state.push_back(Tensor(&g, g.parameter(name + "." + suffix, w.type())));
      info.state.push_back(name + "." + suffix);
    }
    ParameterUpdate up = optimizer.update(w, grad, state, lr, scalars);
    Tensor next = up.value;
    if (!regs[i].empty() && regs[i].proximal) {
      // Soft-thresholding, the proximal operator of lr·λ1·|w|:
      // sign(w)·max(|w| − lr·λ1, 0) is exactly 0 wherever |w| ≤ lr·λ1.
      next = sign(next) * maximum(abs(next) - lr * l1[i], 0.0f);
    }
    g.addUpdate(params[i], next.node());
    for (size_t s = 0; s < state.size(); ++s) g.addUpdate(state[s].node(), up.state[s].node());
  }
  g.currentPart = Part::Forward;
  g.outputs().insert(g.outputs().begin(), {{"loss", total.node()}, {"data_loss", dataLoss.node()}});
  return info;
}

}  // namespace sigma
