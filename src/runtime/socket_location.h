#pragma once

#include <filesystem>

#include "config/config.h"

namespace msearch::runtime {

// The main process's socket: ipc.local_ipc.socket_path when set, else
// <data_dir>/run/msearch.sock. When that path is too long for a Unix socket
// (107 bytes), a private folder under $XDG_RUNTIME_DIR, or under
// /tmp/msearch-<uid>, contains a socket named after a hash of the data folder,
// so two msearch instances with different data never share a socket.
std::filesystem::path ResolveSocketPath(const config::Config& config);

}  // namespace msearch::runtime
