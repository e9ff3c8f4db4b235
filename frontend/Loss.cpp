#include "frontend/Loss.h"

#include "ir/Error.h"

namespace sigma {

Tensor Loss::operator()(Tensor prediction, Tensor target) const {
  switch (kind) {
    case Kind::MSE:
      if (prediction.type() != target.type())
        fail("loss mse: prediction {} and target {} differ", prediction.type().str(), target.type().str());
      return mean(square(prediction - target));
  }
  fail("unknown loss");
}

TensorType Loss::targetType(const TensorType& prediction) const { return prediction; }

std::string Loss::str() const { return "mse"; }

}  // namespace sigma
