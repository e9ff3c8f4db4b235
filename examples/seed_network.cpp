// The seed network, defined with nn modules and trained on XOR: the first
// journey of a Sigma user. Prints the loss, the weight sums and the loop IR.
//   build/bin/example-seed_network [--quick]
#include <cstdio>
#include <cstring>

#include "frontend/Compile.h"

using namespace sigma;

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  Regularizer reg = reg::l1(1e-4f) + reg::l2(1e-4f);
  nn::Sequential net{
      nn::Linear(2, 3, init::xavier_uniform(), reg),
      nn::Tanh(),
      nn::Linear(3, 1, init::xavier_uniform(), reg),
  };
  TrainingStep step = compile(net, loss::mse(), optim::sgd({.lr = 0.1f}), {.batch = 4});

  const float x[] = {0, 0, 0, 1, 1, 0, 1, 1}, y[] = {0, 1, 1, 0};
  const int steps = quick ? 3000 : 5000;
  StepResult r;
  for (int i = 1; i <= steps; ++i) {
    r = step.run(x, y);
    if (i % 1000 == 0) std::printf("step %5d  loss %.6f\n", i, r.loss);
  }
  for (const WeightStats& w : r.weights)
    std::printf("%-11s sum %+.4f  sum|w| %.4f  sum w^2 %.4f  max|w| %.4f\n", w.name.c_str(), w.sum, w.abs_sum,
                w.sq_sum, w.max_abs);
  if (!quick) std::puts(step.dump(Stage::LoopIR).c_str());
  // A journey that does not learn XOR is a failure the tests must see.
  return r.loss < 0.01f ? 0 : 1;
}
