#include "runtime/CsvReader.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "ir/Error.h"

namespace sigma {
namespace {

std::string readFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) fail("cannot open {}: {}", path, std::strerror(errno));
  std::string text;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f.get())) > 0) text.append(buffer, n);
  if (std::ferror(f.get())) fail("cannot read {}: {}", path, std::strerror(errno));
  return text;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  for (;;) {
    size_t comma = line.find(',');
    fields.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) return fields;
    line.remove_prefix(comma + 1);
  }
}

// from_chars is locale-independent (a ',' decimal locale cannot change the
// result) and must consume the whole field. NaN and infinity are rejected:
// they would silently poison every gradient.
bool parseNumber(std::string_view field, double& value) {
  if (!field.empty() && field.front() == '+') field.remove_prefix(1);  // from_chars rejects '+'
  if (field.empty()) return false;
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  return ec == std::errc() && end == field.data() + field.size() && std::isfinite(value);
}

}  // namespace

Dataset loadCsv(const std::string& path) {
  const std::string text = readFile(path);
  Dataset d;
  d.name = std::filesystem::path(path).stem().string();
  size_t columns = 0;  // fixed by the first non-blank row (header or data)
  bool first = true;
  int64_t maxLabel = -1;
  std::vector<double> values;
  std::string_view rest = text;
  for (int64_t lineNo = 1; !rest.empty(); ++lineNo) {
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    if (trim(line).empty()) continue;

    std::vector<std::string_view> fields = splitFields(line);
    values.assign(fields.size(), 0.0);
    size_t bad = fields.size();  // the first non-numeric field, if any
    for (size_t c = 0; c < fields.size(); ++c)
      if (!parseNumber(fields[c], values[c])) {
        bad = c;
        break;
      }
    if (first) {
      first = false;
      columns = fields.size();
      if (columns < 2)
        fail("{}:{}: expected at least 2 columns (features, then the label), found {}", path,
             lineNo, columns);
      if (bad < fields.size()) continue;  // a header row
    }
    if (fields.size() != columns)
      fail("{}:{}: expected {} columns, found {}", path, lineNo, columns, fields.size());
    if (bad < fields.size())
      fail("{}:{}:{}: '{}' is not a number", path, lineNo, bad + 1, fields[bad]);

    double label = values.back();
    if (label < 0 || label != std::floor(label) || label > 2147483647.0)
      fail("{}:{}:{}: label '{}' is not a non-negative integer", path, lineNo, columns,
           fields.back());
    for (size_t c = 0; c + 1 < columns; ++c) d.features.push_back(float(values[c]));
    d.labels.push_back(int32_t(label));
    maxLabel = std::max<int64_t>(maxLabel, int64_t(label));
  }
  if (d.labels.empty())
    fail("{}: empty file: no data rows{}", path, columns ? " after the header" : "");
  d.count = int64_t(d.labels.size());
  d.sampleShape = {int64_t(columns - 1)};
  d.numClasses = maxLabel + 1;
  return d;
}

}  // namespace sigma
