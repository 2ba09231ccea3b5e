#pragma once

#include <span>
#include <string_view>

#include "store/sqlite.h"

namespace msearch::store {

// One step of a schema's history. Versions start at 1 and increase by one;
// a released migration is never edited, only followed by a new one.
struct Migration {
  int version;
  std::string_view sql;
};

// Brings the database to the newest version in `migrations`, running each
// missing step in its own transaction and recording it in PRAGMA
// user_version, so an interrupted upgrade resumes at the failed step.
// Throws Error when the file was written by a newer msearch (its version is
// above the newest known one), naming `schema_name` and both versions.
void ApplyMigrations(Database& db, std::string_view schema_name,
                     std::span<const Migration> migrations);

// The schema version recorded in the file (0 for a new file).
int SchemaVersion(Database& db);

}  // namespace msearch::store
