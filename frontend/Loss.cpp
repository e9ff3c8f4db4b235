#include "frontend/Loss.h"

#include "ir/Error.h"

namespace sigma {

Tensor Loss::operator()(Tensor prediction, Tensor target) const {
  switch (kind) {
    case Kind::MSE:
      if (prediction.type() != target.type())
        fail("loss mse: prediction {} and target {} differ", prediction.type().str(), target.type().str());
      return mean(square(prediction - target));
    case Kind::CrossEntropy:
      if (prediction.shape().size() != 2)
        fail("loss cross_entropy: the logits must be [batch, classes], got {}", prediction.type().str());
      return cross_entropy_from_logits(prediction, target);
    case Kind::BCEWithLogits: return bce_with_logits(prediction, target);
  }
  fail("unknown loss");
}

TensorType Loss::targetType(const TensorType& prediction) const { return prediction; }

std::string Loss::str() const {
  switch (kind) {
    case Kind::MSE: return "mse";
    case Kind::CrossEntropy: return "cross_entropy";
    case Kind::BCEWithLogits: return "bce_with_logits";
  }
  return "unknown";
}

}  // namespace sigma
