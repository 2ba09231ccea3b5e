#include "store/migrations.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace msearch::store {

int SchemaVersion(Database& db) {
  Statement query = db.Prepare("PRAGMA user_version");
  query.Step();
  return static_cast<int>(query.ColumnInt(0));
}

void ApplyMigrations(Database& db, std::string_view schema_name,
                     std::span<const Migration> migrations) {
  int newest = migrations.empty() ? 0 : migrations.back().version;
  int current = SchemaVersion(db);
  if (current > newest) {
    throw Error(
        fmt::format("database '{}' has {} schema version {}, but this msearch knows only up to {}; "
                    "upgrade msearch or point the configuration at another data directory",
                    db.path().string(), schema_name, current, newest));
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= current) continue;
    Transaction transaction(db);
    // Another process may have migrated between our read and our lock.
    if (SchemaVersion(db) >= migration.version) continue;
    db.Execute(migration.sql);
    db.Execute(fmt::format("PRAGMA user_version = {}", migration.version));
    transaction.Commit();
    spdlog::info("migrated {} schema of '{}' to version {}", schema_name, db.path().string(),
                 migration.version);
  }
}

}  // namespace msearch::store
