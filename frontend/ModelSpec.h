// What `sigma train --model` accepts, as C++:
//
//   mlp:784-512-256-10   a multilayer perceptron: Linear layers between the
//                        listed sizes (input, hidden..., output), named fc1,
//                        fc2, ..., with the activation between them (none
//                        after the last), PyTorch's default initialization
//   FILE                 a forward graph in graph-IR text (ir/GraphParser.h)
//
// The model-file convention (docs/training.md): the graph has exactly one
// input, %x : f32[BATCH, FEATURES...], whose first dimension is the batch;
// its parameters are `param` nodes (initialized like PyTorch's nn.Linear:
// U(±1/√fan_in), a bias P.bias taking the fan-in of P.weight); the
// prediction is the node named by `output %prediction = %N` when present,
// else the last node. It has no updates: the training step adds them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frontend/GraphBuilder.h"
#include "frontend/Modules.h"

namespace sigma {

enum class Activation { ReLU, Tanh, Sigmoid, GELU, LeakyReLU };
// "relu", "tanh", "sigmoid", "gelu", "leaky_relu"; throws naming the choices.
Activation parseActivation(const std::string& text);
const char* activationName(Activation a);

struct MlpSpec {
  std::vector<int64_t> sizes;  // input, hidden..., output: at least two
  int64_t inputs() const { return sizes.front(); }
  int64_t outputs() const { return sizes.back(); }
};

// True for text of the form KIND:..., the spec syntax (not a file name).
bool looksLikeModelSpec(const std::string& text);
// Parses "mlp:A-B-...-Z". Throws sigma::Error naming the spec and the
// problem: an unknown kind, a size that is not a positive integer (and
// which one), fewer than two sizes.
MlpSpec parseMlpSpec(const std::string& text);
nn::Sequential buildMlp(const MlpSpec& spec, Activation activation);

// A model read from a file, ready for compile(std::move(model.builder), model.prediction, ...).
struct ModelFile {
  GraphBuilder builder;
  Tensor prediction;
  int64_t batch = 0;
};
// Throws sigma::Error naming the file (and line:column for syntax errors).
ModelFile loadModelFile(const std::string& path);

}  // namespace sigma
