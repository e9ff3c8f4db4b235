#include "frontend/ModelSpec.h"

#include <cctype>
#include <unordered_map>

#include "ir/Error.h"
#include "ir/GraphParser.h"

namespace sigma {

Activation parseActivation(const std::string& text) {
  for (Activation a : {Activation::ReLU, Activation::Tanh, Activation::Sigmoid, Activation::GELU,
                       Activation::LeakyReLU})
    if (text == activationName(a)) return a;
  fail("unknown activation '{}' (expected relu, tanh, sigmoid, gelu or leaky_relu)", text);
}

const char* activationName(Activation a) {
  switch (a) {
    case Activation::ReLU: return "relu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::GELU: return "gelu";
    case Activation::LeakyReLU: return "leaky_relu";
  }
  return "?";
}

bool looksLikeModelSpec(const std::string& text) {
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i)
    if (!std::isalpha(static_cast<unsigned char>(text[i]))) return false;
  return true;
}

MlpSpec parseMlpSpec(const std::string& text) {
  size_t colon = text.find(':');
  std::string kind = colon == std::string::npos ? text : text.substr(0, colon);
  if (kind != "mlp") fail("model spec '{}': unknown kind '{}' (expected mlp:IN-HIDDEN-...-OUT, e.g. mlp:784-512-256-10)", text, kind);
  MlpSpec spec;
  std::string body = text.substr(colon + 1);
  size_t start = 0;
  for (int index = 1;; ++index) {
    size_t dash = body.find('-', start);
    std::string field = body.substr(start, dash == std::string::npos ? std::string::npos : dash - start);
    bool digits = !field.empty() && field.size() <= 9 &&
                  field.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoll(field) == 0)
      fail("model spec '{}': size {} is '{}', not a positive integer", text, index, field);
    spec.sizes.push_back(std::stoll(field));
    if (dash == std::string::npos) break;
    start = dash + 1;
  }
  if (spec.sizes.size() < 2)
    fail("model spec '{}': needs at least an input and an output size (e.g. mlp:784-10)", text);
  return spec;
}

nn::Sequential buildMlp(const MlpSpec& spec, Activation activation) {
  nn::Sequential net(std::vector<nn::AnyModule>{});
  for (size_t i = 0; i + 1 < spec.sizes.size(); ++i) {
    if (i > 0) {
      switch (activation) {
        case Activation::ReLU: net.push_back(nn::ReLU()); break;
        case Activation::Tanh: net.push_back(nn::Tanh()); break;
        case Activation::Sigmoid: net.push_back(nn::Sigmoid()); break;
        case Activation::GELU: net.push_back(nn::GELU()); break;
        case Activation::LeakyReLU: net.push_back(nn::LeakyReLU()); break;
      }
    }
    net.push_back(nn::Linear(spec.sizes[i], spec.sizes[i + 1]));
  }
  return net;
}

ModelFile loadModelFile(const std::string& path) {
  Graph parsed = parseGraphFile(path);
  if (!parsed.updates().empty())
    fail("{}: a model file holds a forward graph, but this one updates %{} (a training step?)", path,
         parsed.updates().front().parameter->name);
  std::vector<Node*> inputs = parsed.inputs();
  if (inputs.size() != 1 || inputs[0]->name != "x")
    fail("{}: a model has exactly one input, %x : f32[BATCH, ...]; this one has {} input(s){}", path, inputs.size(),
         inputs.empty() ? "" : fmt::format(", the first %{}", inputs[0]->name));
  const Node* x = inputs[0];
  if (x->type.dtype != DType::F32 || x->type.shape.size() < 2)
    fail("{}: the input %x must be f32[BATCH, FEATURES...], not {}", path, x->type.str());

  const Node* prediction = parsed.nodes().empty() ? nullptr : parsed.nodes().back().get();
  for (const GraphOutput& o : parsed.outputs())
    if (o.name == "prediction") prediction = o.value;
  if (!prediction || prediction->isLeaf())
    fail("{}: the prediction (output %prediction, or the last node) must be computed from %x", path);

  // Rebuild the graph through a GraphBuilder, so that parameters get specs
  // (initializer, fan-in) like those declared from C++.
  ModelFile model{GraphBuilder(parsed.name()), {}, x->type.shape[0]};
  Graph& g = model.builder.graph();
  std::unordered_map<const Node*, Node*> map;
  for (const auto& n : parsed.nodes()) {
    Node* copy = nullptr;
    if (n->op == Op::Input) {
      copy = model.builder.input(n->name, n->type.shape, n->type.dtype).node();
    } else if (n->op == Op::Parameter) {
      int64_t fanIn = 0;
      const std::string suffix = ".bias";
      if (n->type.shape.size() == 1 && n->name.ends_with(suffix)) {
        const Node* w = parsed.find(n->name.substr(0, n->name.size() - suffix.size()) + ".weight");
        if (w && w->type.shape.size() == 2) fanIn = w->type.shape[1];
      }
      copy = model.builder.parameter(n->name, n->type.shape, init::torch_default(), {}, fanIn).node();
    } else {
      std::vector<Node*> ins;
      for (const Node* in : n->inputs) ins.push_back(map.at(in));
      copy = g.make(n->op, std::move(ins), n->type, n.get());
      copy->name = n->name;
    }
    map[n.get()] = copy;
  }
  model.prediction = Tensor(&g, map.at(prediction));
  return model;
}

}  // namespace sigma
