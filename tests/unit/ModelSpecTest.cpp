// --model's two forms: mlp: specs (with their errors) and graph-IR files
// (with the model-file convention of frontend/ModelSpec.h).
#include <gtest/gtest.h>

#include "frontend/ModelSpec.h"
#include "TrainTestSupport.h"

using namespace sigma;
using namespace sigma::traintest;

TEST(ModelSpec, ParsesMlpSizes) {
  EXPECT_EQ(parseMlpSpec("mlp:784-512-256-10").sizes, (std::vector<int64_t>{784, 512, 256, 10}));
  EXPECT_EQ(parseMlpSpec("mlp:2-1").sizes, (std::vector<int64_t>{2, 1}));
  EXPECT_TRUE(looksLikeModelSpec("mlp:2-1"));
  EXPECT_FALSE(looksLikeModelSpec("models/mlp.sg"));
  EXPECT_FALSE(looksLikeModelSpec("./a:b.sg"));
}

TEST(ModelSpec, BadSpecsNameTheProblem) {
  auto message = [](const std::string& spec) { return errorOf([&] { parseMlpSpec(spec); }); };
  EXPECT_EQ(message("mlp:784--10"), "model spec 'mlp:784--10': size 2 is '', not a positive integer");
  EXPECT_EQ(message("mlp:784-0-10"), "model spec 'mlp:784-0-10': size 2 is '0', not a positive integer");
  EXPECT_EQ(message("mlp:-3"), "model spec 'mlp:-3': size 1 is '', not a positive integer");
  EXPECT_EQ(message("mlp:"), "model spec 'mlp:': size 1 is '', not a positive integer");
  EXPECT_EQ(message("mlp:12345678901-2"), "model spec 'mlp:12345678901-2': size 1 is '12345678901', not a positive integer");
  EXPECT_EQ(message("mlp:784"), "model spec 'mlp:784': needs at least an input and an output size (e.g. mlp:784-10)");
  EXPECT_EQ(message("rnn:4-4"),
            "model spec 'rnn:4-4': unknown kind 'rnn' (expected mlp:IN-HIDDEN-...-OUT, e.g. mlp:784-512-256-10)");
  EXPECT_EQ(errorOf([] { parseActivation("softplus"); }),
            "unknown activation 'softplus' (expected relu, tanh, sigmoid, gelu or leaky_relu)");
}

TEST(ModelSpec, BuildsLinearLayersWithActivationsBetween) {
  EXPECT_EQ(buildMlp(parseMlpSpec("mlp:4-8-8-2"), Activation::ReLU).str(),
            "Sequential(Linear(4, 8), ReLU(), Linear(8, 8), ReLU(), Linear(8, 2))");
  EXPECT_EQ(buildMlp(parseMlpSpec("mlp:4-2"), Activation::Tanh).str(), "Sequential(Linear(4, 2))");
  for (Activation a : {Activation::ReLU, Activation::Tanh, Activation::Sigmoid, Activation::GELU,
                       Activation::LeakyReLU})
    EXPECT_EQ(parseActivation(activationName(a)), a);
}

TEST(ModelSpec, ModelFilesFollowTheConvention) {
  TempDir dir;
  writeFile(dir.file("m.sg"), R"(graph @m {
  %x = input : f32[8,3]
  %fc1.weight = param : f32[4,3]
  %0 = matmul %x, %fc1.weight {transpose_b} : f32[8,4]
  %fc1.bias = param : f32[4]
  %logits = add %0, %fc1.bias : f32[8,4]
  %1 = tanh %logits : f32[8,4]
  output %prediction = %logits
}
)");
  ModelFile m = loadModelFile(dir.file("m.sg"));
  EXPECT_EQ(m.batch, 8);
  EXPECT_EQ(m.prediction.node()->name, "logits");  // the named output, not the last node
  ASSERT_EQ(m.builder.parameterSpecs().size(), 2u);
  EXPECT_EQ(m.builder.parameterSpecs()[1].fanIn, 3);  // the bias takes its weight's fan-in

  writeFile(dir.file("u.sg"), "graph @u {\n  %x = input : f32[2,2]\n  %w = param : f32[2,2]\n  %0 = add %x, %w : f32[2,2]\n  update %w = %0\n}\n");
  EXPECT_EQ(errorOf([&] { loadModelFile(dir.file("u.sg")); }),
            dir.file("u.sg") + ": a model file holds a forward graph, but this one updates %w (a training step?)");
  writeFile(dir.file("v.sg"), "graph @v {\n  %x = input : f32[2]\n  %0 = tanh %x : f32[2]\n}\n");
  EXPECT_EQ(errorOf([&] { loadModelFile(dir.file("v.sg")); }),
            dir.file("v.sg") + ": the input %x must be f32[BATCH, FEATURES...], not f32[2]");
  writeFile(dir.file("l.sg"), "graph @l {\n  %x = input : f32[2,2]\n}\n");
  EXPECT_EQ(errorOf([&] { loadModelFile(dir.file("l.sg")); }),
            dir.file("l.sg") + ": the prediction (output %prediction, or the last node) must be computed from %x");
}
