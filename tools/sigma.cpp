// sigma: train, inspect and transform networks from the command line
// (the contract is ../shared/BRIEF.md §3; `sigma help` summarizes it).
#include <fmt/format.h>

#include "tools/Commands.h"

namespace {

constexpr const char* kUsage = R"(usage: sigma <command> [flags]

commands:
  train     train a network (no flags: the seed network 2-3-1 tanh on XOR)
              --steps N         training steps (default 5000)
              --log-every N     print loss and weight sums every N steps (default 500)
              --seed N          parameter initialization seed (default 1)
              --lr X            learning rate (default 0.1)
              --interpret       run the loop IR on the reference interpreter instead of the JIT
  inspect   print one stage of the training step
              --emit forward|graph|loop|llvm|asm   (default graph)
              --time-passes     print how long each compilation stage and pass took (to stderr)
              --dump-dir DIR    write every stage and pass, numbered, to DIR
  opt FILE  run passes on graph-IR (.sg) or loop-IR (.sl) text and print the result
              --passes a,b,c    the pipeline (see --list-passes)
              --print-after-all, --print-after PASS, --dump-dir DIR, --time-passes, --no-fusion
  help      this text

inspect and train also take --print-after-all, --print-after PASS, --dump-dir DIR,
--time-passes and --no-fusion.
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> rest(argv + std::min(argc, 2), argv + argc);
  std::string command = argc > 1 ? argv[1] : "help";
  try {
    sigma::cli::Args args(command, rest);
    if (command == "train") return sigma::cli::trainCommand(args);
    if (command == "inspect") return sigma::cli::inspectCommand(args);
    if (command == "opt") return sigma::cli::optCommand(args);
    if (command == "help" || command == "--help" || command == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    }
    fmt::print(stderr, "sigma: unknown command '{}'\n{}", command, kUsage);
    return 2;
  } catch (const std::exception& e) {
    // Messages that carry their own place ("FILE:LINE:COL: error: ...") are
    // printed as they are, so editors and FileCheck can parse them.
    std::string message = e.what();
    if (message.find(": error: ") != std::string::npos) fmt::print(stderr, "{}\n", message);
    else fmt::print(stderr, "sigma {}: error: {}\n", command, message);
    return 1;
  }
}
