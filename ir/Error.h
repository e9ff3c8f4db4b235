// Sigma's one error type. Every message names what is wrong and where
// (a file:line:col, an op and its operand shapes, a tensor), so that a user
// can act on it without a debugger.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace sigma {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws sigma::Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace sigma
