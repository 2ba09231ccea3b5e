#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace msearch::store {

// A failed SQLite call. `code()` is the extended result code, so callers can
// tell SQLITE_BUSY or SQLITE_CONSTRAINT_UNIQUE from real failures.
class SqliteError : public Error {
 public:
  SqliteError(int code, const std::string& message) : Error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Statement;

// One connection to an SQLite database file, opened in WAL mode with a busy
// timeout so that several processes can read while one writes. A Database is
// used by one thread at a time; each thread or process opens its own.
class Database {
 public:
  struct Options {
    bool read_only = false;
    int busy_timeout_ms = 10000;
  };

  // Opens (creating if missing, along with its parent folder) the database at
  // `path`. Throws SqliteError naming the path when it cannot be opened.
  explicit Database(const std::filesystem::path& path) : Database(path, Options{}) {}
  Database(const std::filesystem::path& path, const Options& options);
  ~Database();

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more SQL statements that return no rows.
  void Execute(std::string_view sql);

  // Compiles one statement. Reuse the returned Statement in loops: preparing
  // costs more than running a small statement.
  Statement Prepare(std::string_view sql);

  int64_t LastInsertRowId() const;
  int Changes() const;

  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

// A prepared statement with 1-based Bind and 0-based Column accessors, as in
// the SQLite C API.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept
      : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  Statement& BindNull(int index);
  // Binds a copy of `bytes` as a BLOB (an empty span binds a zero-length
  // BLOB, not NULL).
  Statement& BindBlob(int index, std::span<const std::byte> bytes);
  template <typename T>
  Statement& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }

  // Advances to the next row. Returns true while a row is available and false
  // once the statement is done. Throws SqliteError on failure.
  bool Step();

  // Steps a statement that returns no rows, then resets it for reuse.
  void Run();

  // Resets the statement and clears its bindings, ready to run again.
  void Reset();

  bool IsNull(int column) const;
  int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;
  std::optional<double> ColumnOptionalDouble(int column) const;
  std::optional<int64_t> ColumnOptionalInt(int column) const;
  // The BLOB in `column`, valid until the next Step, Reset or destruction.
  std::span<const std::byte> ColumnBlob(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// A write transaction that rolls back on destruction unless Commit() was
// called. On a Database outside any transaction it is BEGIN IMMEDIATE, which
// takes the database's write lock at once, so two processes never both
// read-then-write the same rows. Inside another transaction of the same
// Database it is a SAVEPOINT: Commit releases it into the enclosing
// transaction, which alone makes the writes durable, and a rollback undoes
// only the writes made since the savepoint. So store methods that write in
// their own Transaction can be combined into one atomic write by a caller's
// Transaction. Nested transactions must end in the reverse order of their
// start, which scoped objects do.
// NOTE: inside a deferred BEGIN (a read transaction), the write lock is taken
// only by the first write, which can then fail with SQLITE_BUSY, for example
// SQLITE_BUSY_SNAPSHOT when another connection wrote since the read started.
class Transaction {
 public:
  // Starts the transaction or savepoint. Throws SqliteError when it cannot,
  // for example SQLITE_BUSY after the busy timeout.
  explicit Transaction(Database& db);
  ~Transaction();

  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Commits, or releases the savepoint when nested. Throws SqliteError on
  // failure, and the destructor then rolls back.
  void Commit();

  // Returns whether this is a savepoint inside an enclosing transaction.
  bool nested() const { return nested_; }

 private:
  Database& db_;
  bool nested_ = false;
  bool done_ = false;
};

}  // namespace msearch::store
