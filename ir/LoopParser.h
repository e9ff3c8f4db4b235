// Parses the loop IR's text form (the format is described in
// ir/LoopPrinter.h): print -> parse -> print is the identity.
//
// The parser resolves names as it goes, so it reports with a place:
// malformed syntax, undeclared buffers, loop variables used outside their
// loop or shadowing an enclosing one, duplicate buffer or kernel names, and
// operand type mismatches. Semantic rules that need the whole module (stores
// into inputs, index bounds) are the verifier's (ir/LoopVerifier.h).
//
// Whitespace is free and `// comments` run to the end of the line. One
// lexical subtlety: '%' directly followed by a name character starts a name,
// so the remainder operator needs a space after it (`%i % 4`, as printed).
#pragma once

#include <string>
#include <string_view>

#include "ir/LoopIR.h"

namespace sigma {

// Throws sigma::Error "FILE:LINE:COL: error: expected X, found 'Y'" (or
// another message after the "error: ") on the first problem.
loop::Module parseModule(std::string_view text, const std::string& filename = "<input>");

}  // namespace sigma
