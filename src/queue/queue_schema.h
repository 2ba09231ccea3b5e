#pragma once

#include "store/sqlite.h"

namespace msearch::queue {

// Creates or upgrades the task queue tables (`tasks`, `queue_pauses`) in `db`.
// Safe to call from several processes at once. Throws msearch::Error when the
// file has a newer schema than this build supports.
void ApplyQueueSchema(store::Database& db);

}  // namespace msearch::queue
