#pragma once

#include "store/sqlite.h"

namespace msearch::queue {

// Creates or upgrades the state cache tables (`task_states`, `process_states`)
// in `db`. Safe to call from several processes at once. Throws msearch::Error
// when the file has a newer schema than this build supports.
void ApplyStateCacheSchema(store::Database& db);

}  // namespace msearch::queue
