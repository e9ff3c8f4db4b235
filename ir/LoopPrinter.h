// The loop IR's text form, for dumps, tests and `sigma opt`.
//
// The format reads like Halide's statement dumps and parses back with
// parseModule (ir/LoopParser.h); print -> parse -> print is the identity.
//
//   module @seed_step {
//     buffer %x : f32[8] input
//     buffer %c : f32[3] const = [0.5, 1, -2]
//     kernel @matmul_3 from(%3, %l1.weight) {
//       for %i in 0..4 {
//         %t3[%i * 3 + %j] = %t3[%i * 3 + %j] + %x[%i * 2 + %k] * 0.5
//       }
//     }
//   }
//
// Names: buffers, loop variables and kernel origins are written %name,
// modules and kernels @name; a name made only of letters, digits, '_' and '.'
// is written bare, any other name quoted with C escapes (%"a b").
// Expressions: infix + - * / % (binding tighter than + -) and the
// comparisons < <= == != (lowest, non-associative), parenthesized only where
// the tree needs it; everything else is a call: min(a, b), max(a, b),
// neg(a), abs, sign, tanh, exp, log, sqrt, select(c, t, f), and the casts
// f32(a), i32(a), i64(a). Integer literals are i64; float literals (f32)
// always carry a '.' or an exponent, or are inf, -inf, nan, -nan, or
// nan(0xBITS) for any other NaN; they are the shortest text that parses back
// to the same bits. A load is %buf[index]; its type is the buffer's.
// Nested blocks print flattened (a block's statements one after another).
#pragma once

#include <string>

#include "ir/FloatText.h"
#include "ir/LoopIR.h"

namespace sigma {

std::string printModule(const loop::Module& module);
// `indent` is the number of spaces before each line; every line ends in '\n'.
std::string printStmt(const loop::Stmt& stmt, int indent = 0);
std::string printExpr(const loop::Expr& expr);

// Pieces of the format, shared with the parser and error messages.
std::string printName(char sigil, const std::string& name);  // %x, @k, %"a b"
// Float literals: printFloat (ir/FloatText.h), with a ".0" on integral
// values in expressions, without in const buffer init lists.

}  // namespace sigma
