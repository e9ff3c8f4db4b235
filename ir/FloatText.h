// Floats as IR text, the same in the graph IR and the loop IR: the shortest
// decimal that parses back to the same bits (fmt's default), "inf", "-inf",
// "nan" and "-nan" for the two quiet NaNs, and "nan(0xBITS)" for any other
// NaN, so that print -> parse keeps every bit of a constant, payload and
// sign included (ir/GraphParser.cpp and ir/LoopParser.cpp read them all).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sigma {

// With `markAsFloat`, an integral value gets a ".0" (loop-IR expressions,
// where 1 would be an i64); without, it prints like an integer ("1").
std::string printFloat(float value, bool markAsFloat = true);

// The NaN whose bits `hex` spells (the 0xBITS of nan(0xBITS), "0x" and all),
// or nothing when it is not hexadecimal, not 32 bits or not a NaN's.
std::optional<float> nanFromBits(std::string_view hex);

}  // namespace sigma
