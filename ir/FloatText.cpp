#include "ir/FloatText.h"

#include <bit>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace sigma {

std::string printFloat(float value, bool markAsFloat) {
  if (std::isnan(value)) {
    // Only the two common NaNs get names; any other payload keeps its bits.
    uint32_t bits = std::bit_cast<uint32_t>(value);
    if (bits == 0x7fc00000u) return "nan";
    if (bits == 0xffc00000u) return "-nan";
    return fmt::format("nan(0x{:08x})", bits);
  }
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // fmt's default float format is the shortest decimal that round-trips.
  std::string s = fmt::format("{}", value);
  if (markAsFloat && s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::optional<float> nanFromBits(std::string_view hex) {
  if (hex.size() < 3 || hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X')) return std::nullopt;
  uint64_t bits = 0;
  const char* end = hex.data() + hex.size();
  auto [ptr, ec] = std::from_chars(hex.data() + 2, end, bits, 16);
  if (ec != std::errc() || ptr != end || bits > UINT32_MAX) return std::nullopt;
  float value = std::bit_cast<float>(uint32_t(bits));
  if (!std::isnan(value)) return std::nullopt;
  return value;
}

}  // namespace sigma
