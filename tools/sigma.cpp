// sigma: train, inspect and transform networks from the command line
// (the contract is ../shared/BRIEF.md §3; `sigma help` summarizes it).
#include <fmt/format.h>

#include "tools/Commands.h"

namespace {

constexpr const char* kUsage = R"(usage: sigma <command> [flags]

commands:
  train     train a network; with no flags, the seed network (2-3-1 tanh, XOR, L1+L2)
            step by step, printing the loss and the weight sums:
              --steps N         training steps (default 5000)
              --log-every N     print every N steps (default 500)
              --seed N, --lr X (default 0.1), --interpret (reference interpreter, not the JIT)
            any other flag trains with sigma::fit (docs/training.md):
              --model SPEC|FILE mlp:784-512-256-10, or a graph-IR file (forward graph, input %x);
                                default: the seed network (XOR only)
              --act NAME        relu | tanh | sigmoid | gelu | leaky_relu, between mlp layers (default relu)
              --data FORM       xor | fashion-mnist | csv:PATH | DIR of IDX files (default xor)
              --test-data FORM  a separate test set, in the same forms
              --holdout F       split F of the training set off as the test set (seeded; default:
                                the data's own test split, else 0.2; 0: no test set)
              --loss NAME       mse | cross_entropy | bce_with_logits (default: mse for 1 output,
                                cross_entropy otherwise)
              --epochs N (10), --batch N (128), --seed N (1: weights, shuffles, holdout)
              --optimizer NAME  sgd | momentum | nesterov | adam | adamw (default sgd)
              --lr X            (default 0.01; adam/adamw 0.001)
              --momentum X      momentum and nesterov (default 0.9)
              --weight-decay X  adamw's decoupled decay (default 0.01); for L2 use --l2
              --l1 X, --l2 X    penalties λ1·Σ|w|, λ2·Σw² on every weight matrix (not biases)
              --l1-proximal     apply --l1 as soft-thresholding after each step (exact zeros)
              --schedule S      constant | step:N[:GAMMA] | cosine[:MIN] (default constant)
              --threads N       threads for the step's parallel loops (default 1); every count
                                trains to the same bits
              --out DIR         write DIR/metrics.jsonl and DIR/checkpoint.sgck
              --resume          continue the run in --out DIR from its checkpoint
              --log-every N     a metrics.jsonl line every N steps (default 100; 0: epochs only)
              --checkpoint-every N   epochs between checkpoints (default epochs/20, at least 1)
              --eval-every N    evaluate on the test set every N epochs and after the last (default 1)
              --progress MODE   auto | bar | lines | off (default auto: a bar on a terminal)
              --allow-nonfinite train on through NaN/Inf (default: stop at the first step whose
                                loss, weights or gradients are not finite, naming the tensor)
              --no-compiled-loop step from the host (default: each epoch's batch gathers, steps
                                and statistics run as the compiled loop, one native call per
                                epoch, or per fiftieth with a progress display; the same bits)
  inspect   print one stage of the training step (the seed network's, or the one train
            compiles from the same --model, --act, --loss, --optimizer, --lr, --momentum,
            --weight-decay, --l1, --l2, --l1-proximal, --batch and --seed flags)
              --emit forward|graph|loop|llvm|asm   (default graph)
              --time-passes     print how long each compilation stage and pass took (to stderr)
              --dump-dir DIR    write every stage and pass, numbered, to DIR
  opt FILE  run passes on graph-IR (.sg) or loop-IR (.sl) text and print the result
              --passes a,b,c    the pipeline (see --list-passes)
              --print-after-all, --print-after PASS, --dump-dir DIR, --time-passes, --no-fusion
              --target avx2|avx512|host   the register file lower-to-loops blocks matmuls for
                                (default avx2, so the output is the same on any host;
                                train and inspect lower for the host)
              --l2-kib N        the L2 a matmul's pass over B should stay in (its k is split
                                into chunks where B is bigger than half of it; default: the
                                host's with --target host, else 0: not split)
  report RUN_DIR
            write RUN_DIR/report.html from a `train --out RUN_DIR` run: loss, accuracy, weight
            sums, sparsity and input importance, plotted; one self-contained file (Chart.js inlined)
              --image-shape RxC the input-importance heat map's shape (default: config.json's
                                input_shape, else a square, e.g. 28x28 for 784 inputs)
              --title TEXT, --max-points N (step points per series, default 2000)
  help      this text

inspect and train also take --print-after-all, --print-after PASS, --dump-dir DIR,
--time-passes and --no-fusion, and how the step is compiled (for train, these select the
sigma::fit loop, as the model flags do):
  --opt-level N, -O0..-O3   LLVM's optimization level (default 3; every level computes the same bits)
  --no-cache                compile from scratch: do not read or write the object cache
  --no-tiering              compile at the level directly; by default a step the cache does not
                            hold starts on O0 code (tens of ms) while the level compiles in the
                            background, then switches to it, with the same bits
  --cache-dir DIR           the object cache's directory (default $SIGMA_CACHE_DIR, else
                            $XDG_CACHE_HOME/sigma, else ~/.cache/sigma)
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
    if (command == "report") return sigma::cli::reportCommand(args);
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
