#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "store/sqlite.h"

// Small helpers shared by the queue's source files; not part of its API.
namespace msearch::queue::internal {

// Resets a reused prepared statement when the scope ends, also on an
// exception, so it releases its read lock and accepts new bindings.
class ResetOnExit {
 public:
  explicit ResetOnExit(store::Statement& statement) : statement_(statement) {}
  ~ResetOnExit() { statement_.Reset(); }

  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  store::Statement& statement_;
};

// A read transaction (BEGIN DEFERRED), so that several queries see one
// snapshot of the file. Ends on destruction.
class ReadTransaction {
 public:
  explicit ReadTransaction(store::Database& db) : db_(db) { db_.Execute("BEGIN"); }
  ~ReadTransaction() {
    try {
      db_.Execute("COMMIT");
    } catch (const store::SqliteError& error) {
      spdlog::error("ending read transaction on '{}' failed: {}", db_.path().string(),
                    error.what());
    }
  }

  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  store::Database& db_;
};

// Serializes JSON for storage. Invalid UTF-8 in strings is replaced rather
// than thrown, so a file name with a broken encoding cannot fail an enqueue.
inline std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Parses stored JSON text; nullopt when it is not valid JSON.
inline std::optional<nlohmann::json> ParseJson(std::string_view text) {
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

}  // namespace msearch::queue::internal
