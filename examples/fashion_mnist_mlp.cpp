// Fashion-MNIST with a 784-512-256-10 MLP: the second journey of a Sigma
// user (workload W5 of the brief). Load the data, define the network with
// nn modules, regularize its weight matrices, compile one training step,
// fit, read the test accuracy and the weight sums.
//   build/bin/example-fashion_mnist_mlp            10 epochs of Adam (about 88%)
//   build/bin/example-fashion_mnist_mlp --quick    2 short epochs on 1,024 images
#include <cstring>
#include <numeric>

#include <fmt/format.h>

#include "frontend/Trainer.h"
#include "runtime/IdxReader.h"

using namespace sigma;

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;

  // 60,000 training and 10,000 test images, 28×28, pixels scaled to [0, 1].
  auto [train, test] = loadFashionMnist();
  if (quick) {  // a slice, so that the test suite runs it in seconds
    std::vector<int64_t> first(1024);
    std::iota(first.begin(), first.end(), 0);
    train = subset(train, first, "fashion-mnist-train[:1024]");
    test = subset(test, std::span(first).first(512), "fashion-mnist-test[:512]");
  }

  nn::Sequential net{
      nn::Linear(784, 512), nn::ReLU(),
      nn::Linear(512, 256), nn::ReLU(),
      nn::Linear(256, 10),
  };
  // L2 1e-5 + L1 1e-6 on every weight matrix (biases are left alone), as
  // coefficients the step reads each time: setRegularizer changes them.
  CompileOptions options{.batch = 128, .seed = 1, .regularize = {{"*", reg::l1(1e-6f) + reg::l2(1e-5f)}}};
  TrainingStep step = compile(net, loss::cross_entropy(), optim::adam({.lr = 1e-3f}), options);

  FitOptions fitOptions{.epochs = quick ? 2 : 10, .seed = 1, .progress = quick ? ProgressMode::Off : ProgressMode::Auto};
  fitOptions.onEpoch = [](const EpochResult& e) {
    fmt::print("epoch {:>2}  train loss {:.4f}  test loss {:.4f}  test accuracy {:.2f}%  ({:.1f} s)\n", e.epoch,
               e.loss, e.test->loss, 100 * e.test->accuracy, e.seconds);
    for (const WeightStats& w : e.last.weights)
      if (w.name.ends_with(".weight"))
        fmt::print("    {:<11} sum {:+9.3f}  sum|w| {:9.3f}  sum w^2 {:8.3f}  max|w| {:.3f}\n", w.name, w.sum,
                   w.abs_sum, w.sq_sum, w.max_abs);
  };
  FitHistory history = fit(step, train, &test, fitOptions);

  const double accuracy = history.epochs.back().test->accuracy;
  fmt::print("{} test images, accuracy {:.2f}%\n", test.count, 100 * accuracy);
  // A journey that does not learn is a failure the tests must see (chance is 10%).
  return accuracy > (quick ? 0.5 : 0.85) ? 0 : 1;
}
