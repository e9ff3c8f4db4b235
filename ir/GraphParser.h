// Reads the graph IR's text form (see GraphPrinter.h) back into a Graph.
//
// Grammar (whitespace and newlines are insignificant; `//` starts a comment
// that runs to the end of the line):
//
//   graph     ::= 'graph' '@' NAME '{' statement* '}'
//   statement ::= node | output | update
//   node      ::= '%' NAME '=' OP values? operands? attrs? ':' type part?
//   values    ::= FLOAT | '[' (FLOAT (',' FLOAT)*)? ']'      -- const only
//   operands  ::= '%' NAME (',' '%' NAME)*                    -- as many as OP takes
//   attrs     ::= '{' ATTR (',' ATTR)* '}'                    -- matmul: transpose_a, transpose_b
//   type      ::= ('f32' | 'i32') '[' (INT (',' INT)*)? ']'
//   part      ::= '#' ('forward' | 'backward' | 'penalty' | 'update' | 'stats')
//   output    ::= 'output' '%' NAME '=' '%' NAME
//   update    ::= 'update' '%' NAME '=' '%' NAME
//   NAME      ::= [A-Za-z0-9_.]+      -- all digits: an unnamed node
//   FLOAT     ::= decimal or exponent form, 'inf', '-inf', 'nan'
//
// Every value is defined before it is used. Nodes are built through Graph's
// builders, so the shape rules run; the written type must equal the inferred
// one (for broadcast and reductions it gives the target shape).
#pragma once

#include <string>
#include <string_view>

#include "ir/Graph.h"

namespace sigma {

// Throws sigma::Error "FILE:LINE:COL: error: MESSAGE" on the first problem.
Graph parseGraph(std::string_view text, const std::string& filename = "<input>");

// Reads and parses a file; throws sigma::Error if it cannot be read.
Graph parseGraphFile(const std::string& path);

}  // namespace sigma
