#include "tools/RunConfig.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "frontend/Report.h"
#include "ir/Error.h"

namespace sigma::cli {

void writeRunConfig(const std::string& dir, const nlohmann::json& config) {
  const std::filesystem::path path = std::filesystem::path(dir) / kConfigFile;
  const std::string tmp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << config.dump(2) << "\n";
    if (!out.flush()) fail("{}: cannot write it", tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail("{}: cannot write it: {}", path.string(), ec.message());
}

}  // namespace sigma::cli
