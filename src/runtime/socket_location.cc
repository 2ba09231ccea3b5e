#include "runtime/socket_location.h"

#include <cstdlib>
#include <functional>

#include <fmt/format.h>
#include <unistd.h>

#include "ipc/socket_path.h"

namespace msearch::runtime {

std::filesystem::path ResolveSocketPath(const config::Config& config) {
  if (!config.ipc.local_ipc.socket_path.empty()) return config.ipc.local_ipc.socket_path;

  std::filesystem::path data_dir = std::filesystem::absolute(config.storage.data_dir);
  std::filesystem::path preferred = data_dir / "run" / ipc::kSocketFileName;
  if (preferred.string().size() <= ipc::kMaxSocketPathBytes) return preferred;

  std::filesystem::path base;
  if (const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
      runtime_dir != nullptr && runtime_dir[0] == '/') {
    base = std::filesystem::path(runtime_dir) / "msearch";
  } else {
    base = fmt::format("/tmp/msearch-{}", getuid());
  }
  size_t hash = std::hash<std::string>{}(data_dir.string());
  return base / fmt::format("{:016x}.sock", hash);
}

}  // namespace msearch::runtime
