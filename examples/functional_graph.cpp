// The functional graph builder: the same 2-3-1 network written with
// inputs, parameters and ops instead of nn modules.
//   build/bin/example-functional_graph [--quick]
#include <cstdio>
#include <cstring>

#include "frontend/Compile.h"

using namespace sigma;

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  GraphBuilder b("xor");
  Tensor x = b.input("x", {4, 2});
  Tensor w1 = b.parameter("w1", {3, 2}, init::xavier_uniform(), reg::l2(1e-4f));
  Tensor b1 = b.parameter("b1", {3}, init::zeros());
  Tensor w2 = b.parameter("w2", {1, 3}, init::xavier_uniform(), reg::l2(1e-4f));
  Tensor b2 = b.parameter("b2", {1}, init::zeros());
  Tensor y = matmul(tanh(matmul(x, w1, false, true) + b1), w2, false, true) + b2;
  TrainingStep step = compile(std::move(b), y, loss::mse(), optim::sgd({.lr = 0.1f}));

  const float xs[] = {0, 0, 0, 1, 1, 0, 1, 1}, ys[] = {0, 1, 1, 0};
  StepResult r = step.run(xs, ys, quick ? 3000 : 5000);
  std::printf("loss %.6f, w1: sum|w| %.4f, w2: sum|w| %.4f\n", r.loss, r.weights[0].abs_sum, r.weights[2].abs_sum);
  if (!quick) std::puts(step.dump(Stage::Graph).c_str());
  return r.loss < 0.01f ? 0 : 1;
}
