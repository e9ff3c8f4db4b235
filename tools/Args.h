// A small command-line parser for the sigma tool: `--name value`,
// `--name=value` and boolean `--flag`. Every flag a command does not take
// is an error naming it, so typos never pass silently.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/Error.h"

namespace sigma::cli {

class Args {
 public:
  Args(std::string command, std::vector<std::string> args) : command_(std::move(command)), args_(std::move(args)) {}

  // The value of --name, removed from the remaining arguments; when the
  // flag is repeated, the last value wins (as in most command-line tools).
  std::optional<std::string> value(const std::string& name) {
    std::optional<std::string> found;
    for (size_t i = 0; i < args_.size();) {
      if (args_[i] == "--" + name) {
        if (i + 1 >= args_.size()) fail("--{} needs a value", name);
        found = args_[i + 1];
        args_.erase(args_.begin() + long(i), args_.begin() + long(i) + 2);
      } else if (args_[i].rfind("--" + name + "=", 0) == 0) {
        found = args_[i].substr(name.size() + 3);
        args_.erase(args_.begin() + long(i));
      } else {
        ++i;
      }
    }
    return found;
  }
  std::string value(const std::string& name, const std::string& fallback) { return value(name).value_or(fallback); }

  long long integer(const std::string& name, long long fallback) {
    auto v = value(name);
    if (!v) return fallback;
    try {
      size_t used = 0;
      long long n = std::stoll(*v, &used);
      if (used == v->size()) return n;
    } catch (const std::exception&) {
    }
    fail("--{} expects an integer, got '{}'", name, *v);
  }

  double number(const std::string& name, double fallback) {
    auto v = value(name);
    if (!v) return fallback;
    try {
      size_t used = 0;
      double n = std::stod(*v, &used);
      if (used == v->size()) return n;
    } catch (const std::exception&) {
    }
    fail("--{} expects a number, got '{}'", name, *v);
  }

  // True if the boolean --name was given (and removes it).
  bool flag(const std::string& name) {
    for (size_t i = 0; i < args_.size(); ++i)
      if (args_[i] == "--" + name) return args_.erase(args_.begin() + long(i)), true;
    return false;
  }

  // True if the argument `token` itself was given (and removes it): for
  // short forms such as -O2.
  bool literal(const std::string& token) {
    for (size_t i = 0; i < args_.size(); ++i)
      if (args_[i] == token) return args_.erase(args_.begin() + long(i)), true;
    return false;
  }

  // The next positional argument, if any.
  std::optional<std::string> positional() {
    for (size_t i = 0; i < args_.size(); ++i)
      if (args_[i].rfind("--", 0) != 0) {
        std::string v = args_[i];
        args_.erase(args_.begin() + long(i));
        return v;
      }
    return std::nullopt;
  }

  // Call once every known flag was taken: anything left is an error.
  void finish() const {
    if (!args_.empty()) fail("unknown argument '{}' (see sigma help)", args_.front());
  }

 private:
  std::string command_;
  std::vector<std::string> args_;
};

}  // namespace sigma::cli
