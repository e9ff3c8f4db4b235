// The sigma tool's subcommands; each returns the process exit code.
#pragma once

#include "passes/PassManager.h"
#include "tools/Args.h"

namespace sigma::cli {

int trainCommand(Args& args);
int inspectCommand(Args& args);
int optCommand(Args& args);
int reportCommand(Args& args);

// --print-after-all, --print-after PASS (repeatable), --dump-dir DIR,
// --time-passes, --no-fusion: shared by opt, inspect and train.
PassOptions passOptionsFromFlags(Args& args);

}  // namespace sigma::cli
