// config.json in a `sigma train --out` directory: what the run was, for the
// report's configuration table and for whoever finds the directory later.
// "input_shape" (the data's sample shape, [28, 28] for Fashion-MNIST) tells
// `sigma report` how to draw the input-importance heat map.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace sigma::cli {

// Writes DIR/config.json atomically (a temporary file renamed over it).
// Throws sigma::Error naming the file if it cannot.
void writeRunConfig(const std::string& dir, const nlohmann::json& config);

}  // namespace sigma::cli
