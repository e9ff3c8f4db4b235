#include "frontend/SeedNetwork.h"

namespace sigma {

nn::Sequential seedNetwork() {
  Regularizer reg = reg::l1(1e-4f) + reg::l2(1e-4f);
  return nn::Sequential{
      nn::Linear(2, 3, init::xavier_uniform(), reg),
      nn::Tanh(),
      nn::Linear(3, 1, init::xavier_uniform(), reg),
  };
}

}  // namespace sigma
