#include "ir/VectorIsa.h"

#include <cstdlib>
#include <string>

#include "ir/Error.h"

namespace sigma {

VectorIsa vectorIsaFromEnvironment() {
  const char* value = std::getenv("SIGMA_TARGET");
  const std::string text = value ? value : "";
  if (text.empty() || text == "host") return VectorIsa::Host;
  if (text == "avx2") return VectorIsa::Avx2;
  fail("SIGMA_TARGET='{}': expected 'host' or 'avx2'", text);
}

}  // namespace sigma
