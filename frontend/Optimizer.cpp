#include "frontend/Optimizer.h"

#include <fmt/format.h>

namespace sigma {

Tensor Optimizer::update(Tensor w, Tensor g, Tensor lr) const {
  switch (kind) {
    case Kind::SGD: return w - lr * g;  // w ← w − lr·g
  }
  return w;
}

std::string Optimizer::str() const { return fmt::format("sgd(lr={})", lr); }

}  // namespace sigma
