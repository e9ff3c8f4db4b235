// libFuzzer target for both IR parsers. Any input must either be refused
// with a sigma::Error or parse into IR that verifies, prints, and parses
// back to the same text; a crash, a hang, a sanitizer report or any other
// exception is a bug. The first byte picks the parser.
//   make fuzz                      (60 s, corpus seeded from tests/lit)
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ir/Error.h"
#include "ir/GraphParser.h"
#include "ir/GraphPrinter.h"
#include "ir/GraphVerifier.h"
#include "ir/LoopParser.h"
#include "ir/LoopPrinter.h"
#include "ir/LoopVerifier.h"

namespace {

template <typename Parse, typename Print, typename Verify>
void roundTrip(const std::string& text, Parse parse, Print print, Verify verify) {
  std::string printed;
  try {
    auto ir = parse(text);
    verify(ir);
    printed = print(ir);
  } catch (const sigma::Error&) {
    return;  // refused with a message: fine
  }
  // What the printer writes must parse back to the same text.
  std::string again = print(parse(printed));
  if (again != printed) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1)
    roundTrip(text, [](const std::string& t) { return sigma::parseGraph(t, "fuzz.sg"); }, sigma::printGraph,
              sigma::verifyGraph);
  else
    roundTrip(text, [](const std::string& t) { return sigma::parseModule(t, "fuzz.sl"); }, sigma::printModule,
              sigma::verifyModule);
  return 0;
}
