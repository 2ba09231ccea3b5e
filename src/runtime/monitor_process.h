#pragma once

#include "config/config.h"
#include "runtime/child_session.h"

namespace msearch::runtime {

// Main loop of the file monitor process: runs monitor::FileMonitor over the
// watched directories, turns new and changed files into probe tasks, notifies
// the main process so it wakes the workers, and follows "reload_directories"
// and "rescan" requests from it. Returns the process exit code.
int RunFileMonitor(const config::Config& config, const ChildIdentity& identity);

}  // namespace msearch::runtime
