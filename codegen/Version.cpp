#include "codegen/Version.h"

namespace sigma::codegen {

// SIGMA_VERSION is defined for the library by CMakeLists.txt.
const char* sigmaVersion() { return SIGMA_VERSION; }

}  // namespace sigma::codegen
