#include "store/sqlite.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <span>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "support/temp_dir.h"

namespace msearch::store {
namespace {

using msearch::testing::TempDir;

int64_t CountRows(Database& db, const std::string& table) {
  Statement count = db.Prepare("SELECT count(*) FROM " + table);
  count.Step();
  return count.ColumnInt(0);
}

TEST(Database, OpensInWalMode) {
  TempDir dir;
  Database db(dir / "test.db");
  Statement mode = db.Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.Step());
  EXPECT_EQ(mode.ColumnText(0), "wal");
}

TEST(Database, EnablesForeignKeys) {
  TempDir dir;
  Database db(dir / "test.db");
  Statement keys = db.Prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(keys.Step());
  EXPECT_EQ(keys.ColumnInt(0), 1);
  db.Execute(
      "CREATE TABLE parent(id INTEGER PRIMARY KEY);"
      "CREATE TABLE child(parent_id INTEGER REFERENCES parent(id));");
  try {
    db.Execute("INSERT INTO child VALUES (42)");
    FAIL() << "expected a foreign key violation";
  } catch (const SqliteError& error) {
    EXPECT_EQ(error.code(), SQLITE_CONSTRAINT_FOREIGNKEY);
  }
}

TEST(Database, CreatesParentFolder) {
  TempDir dir;
  std::filesystem::path path = dir / "a" / "b" / "test.db";
  Database db(path);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(db.path(), path);
}

TEST(Database, OpenFailureNamesPath) {
  TempDir dir;
  // A regular file where a folder should be makes the path unopenable.
  std::ofstream(dir / "plain") << "x";
  std::filesystem::path path = dir / "plain" / "test.db";
  try {
    Database db(path);
    FAIL() << "expected SqliteError";
  } catch (const SqliteError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("cannot open database"), std::string::npos) << message;
    EXPECT_EQ(error.code() & 0xff, SQLITE_CANTOPEN);
  }
}

TEST(Database, ReadOnlyMissingFileFails) {
  TempDir dir;
  Database::Options options;
  options.read_only = true;
  EXPECT_THROW(Database(dir / "missing.db", options), SqliteError);
  EXPECT_FALSE(std::filesystem::exists(dir / "missing.db"));
}

TEST(Database, ReadOnlyRejectsWrites) {
  TempDir dir;
  {
    Database db(dir / "test.db");
    db.Execute("CREATE TABLE t(x); INSERT INTO t VALUES (1);");
  }
  Database::Options options;
  options.read_only = true;
  Database reader(dir / "test.db", options);
  EXPECT_EQ(CountRows(reader, "t"), 1);
  try {
    reader.Execute("INSERT INTO t VALUES (2)");
    FAIL() << "expected SqliteError";
  } catch (const SqliteError& error) {
    EXPECT_EQ(error.code() & 0xff, SQLITE_READONLY);
  }
}

TEST(Database, ExecuteErrorNamesFile) {
  TempDir dir;
  Database db(dir / "test.db");
  try {
    db.Execute("SELECT * FROM no_such_table");
    FAIL() << "expected SqliteError";
  } catch (const SqliteError& error) {
    std::string message = error.what();
    EXPECT_NE(message.find((dir / "test.db").string()), std::string::npos) << message;
    EXPECT_NE(message.find("no_such_table"), std::string::npos) << message;
    EXPECT_EQ(error.code(), SQLITE_ERROR);
  }
}

TEST(Database, PrepareErrorNamesStatement) {
  TempDir dir;
  Database db(dir / "test.db");
  try {
    db.Prepare("SELEC 1");
    FAIL() << "expected SqliteError";
  } catch (const SqliteError& error) {
    EXPECT_NE(std::string(error.what()).find("SELEC 1"), std::string::npos) << error.what();
  }
}

TEST(Database, UniqueViolationHasExtendedCode) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t(x UNIQUE); INSERT INTO t VALUES (1);");
  Statement insert = db.Prepare("INSERT INTO t VALUES (?)");
  try {
    insert.Bind(1, 1).Run();
    FAIL() << "expected SqliteError";
  } catch (const SqliteError& error) {
    EXPECT_EQ(error.code(), SQLITE_CONSTRAINT_UNIQUE);
  }
  // The statement was reset on failure and can run again.
  insert.Bind(1, 2).Run();
  EXPECT_EQ(CountRows(db, "t"), 2);
}

TEST(Statement, BlobRoundTrip) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)");
  const std::vector<float> values = {1.5f, -2.25f, 0.0f, 3e-8f};
  Statement insert = db.Prepare("INSERT INTO t(id, data) VALUES (?, ?)");
  insert.Bind(1, 1).BindBlob(2, std::as_bytes(std::span(values))).Run();
  insert.Bind(1, 2).BindBlob(2, {}).Run();

  Statement select = db.Prepare("SELECT data, typeof(data) FROM t ORDER BY id");
  ASSERT_TRUE(select.Step());
  std::span<const std::byte> bytes = select.ColumnBlob(0);
  ASSERT_EQ(bytes.size(), values.size() * sizeof(float));
  std::vector<float> read(values.size());
  std::memcpy(read.data(), bytes.data(), bytes.size());
  EXPECT_EQ(read, values);
  ASSERT_TRUE(select.Step());
  EXPECT_TRUE(select.ColumnBlob(0).empty());
  EXPECT_EQ(select.ColumnText(1), "blob");
}

TEST(Database, LastInsertRowIdAndChanges) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t(id INTEGER PRIMARY KEY, x)");
  db.Execute("INSERT INTO t(x) VALUES (1), (2), (3)");
  EXPECT_EQ(db.LastInsertRowId(), 3);
  EXPECT_EQ(db.Changes(), 3);
  db.Execute("UPDATE t SET x = 0 WHERE id >= 2");
  EXPECT_EQ(db.Changes(), 2);
}

TEST(Statement, BindsAndReadsEveryType) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t(i INTEGER, d REAL, s TEXT, n TEXT, o INTEGER)");
  const char raw[] = "日落 \"quoted\" with\0nul";
  const std::string text(raw, sizeof(raw) - 1);  // keeps the embedded NUL
  Statement insert = db.Prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)");
  insert.Bind(1, std::numeric_limits<int64_t>::max()).Bind(2, 0.1).Bind(3, text).BindNull(4);
  insert.Bind(5, std::optional<int64_t>(7)).Run();
  insert.Bind(1, -1).Bind(2, -2.5).Bind(3, "plain").Bind(4, std::optional<std::string>());
  insert.Bind(5, std::optional<int64_t>()).Run();

  Statement query = db.Prepare("SELECT i, d, s, n, o FROM t ORDER BY i DESC");
  ASSERT_TRUE(query.Step());
  EXPECT_EQ(query.ColumnInt(0), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(query.ColumnDouble(1), 0.1);
  EXPECT_EQ(query.ColumnText(2), text);
  EXPECT_EQ(query.ColumnText(2).size(), text.size());
  EXPECT_TRUE(query.IsNull(3));
  EXPECT_EQ(query.ColumnOptionalText(3), std::nullopt);
  EXPECT_EQ(query.ColumnText(3), "");
  EXPECT_EQ(query.ColumnOptionalInt(4), 7);
  ASSERT_TRUE(query.Step());
  EXPECT_EQ(query.ColumnInt(0), -1);
  EXPECT_EQ(query.ColumnOptionalDouble(1), -2.5);
  EXPECT_EQ(query.ColumnOptionalText(2), "plain");
  EXPECT_EQ(query.ColumnOptionalInt(4), std::nullopt);
  EXPECT_EQ(query.ColumnOptionalDouble(3), std::nullopt);
  EXPECT_FALSE(query.Step());
}

TEST(Statement, RunClearsBindingsForReuse) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t(a, b)");
  Statement insert = db.Prepare("INSERT INTO t VALUES (?, ?)");
  insert.Bind(1, 1).Bind(2, 2).Run();
  insert.Bind(1, 3).Run();  // b left unbound: NULL, not the previous 2
  Statement query = db.Prepare("SELECT b FROM t WHERE a = 3");
  ASSERT_TRUE(query.Step());
  EXPECT_TRUE(query.IsNull(0));
}

TEST(Statement, MoveKeepsStatement) {
  TempDir dir;
  Database db(dir / "test.db");
  Statement first = db.Prepare("SELECT 41 + 1");
  Statement second = std::move(first);
  ASSERT_TRUE(second.Step());
  EXPECT_EQ(second.ColumnInt(0), 42);
  Statement third = db.Prepare("SELECT 1");
  third = std::move(second);
  third.Reset();
  ASSERT_TRUE(third.Step());
  EXPECT_EQ(third.ColumnInt(0), 42);
}

TEST(Transaction, CommitKeepsChanges) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t(x)");
  {
    Transaction transaction(db);
    db.Execute("INSERT INTO t VALUES (1)");
    transaction.Commit();
  }
  EXPECT_EQ(CountRows(db, "t"), 1);
  Database other(dir / "test.db");
  EXPECT_EQ(CountRows(other, "t"), 1);
}

TEST(Transaction, RollsBackOnDestruction) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t(x)");
  {
    Transaction transaction(db);
    db.Execute("INSERT INTO t VALUES (1)");
    EXPECT_EQ(CountRows(db, "t"), 1);
  }
  EXPECT_EQ(CountRows(db, "t"), 0);
  // The connection is usable, and a new transaction can start.
  Transaction again(db);
  again.Commit();
}

TEST(Transaction, RollsBackOnException) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t(x)");
  try {
    Transaction transaction(db);
    db.Execute("INSERT INTO t VALUES (1)");
    throw std::runtime_error("stop");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(CountRows(db, "t"), 0);
}

TEST(Transaction, NestedCommitJoinsOuter) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t(x)");
  Database reader(dir / "test.db");
  {
    Transaction outer(db);
    EXPECT_FALSE(outer.nested());
    Transaction inner(db);
    EXPECT_TRUE(inner.nested());
    db.Execute("INSERT INTO t VALUES (1)");
    inner.Commit();
    EXPECT_EQ(CountRows(db, "t"), 1);
    // Released into the outer transaction, not committed.
    EXPECT_EQ(CountRows(reader, "t"), 0);
  }
  // The outer transaction rolled back, taking the inner writes with it.
  EXPECT_EQ(CountRows(db, "t"), 0);
  EXPECT_EQ(CountRows(reader, "t"), 0);
}

TEST(Transaction, NestedRollbackKeepsOuterWrites) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t(x)");
  {
    Transaction outer(db);
    db.Execute("INSERT INTO t VALUES (1)");
    {
      Transaction inner(db);
      db.Execute("INSERT INTO t VALUES (2)");
      EXPECT_EQ(CountRows(db, "t"), 2);
    }
    EXPECT_EQ(CountRows(db, "t"), 1);
    db.Execute("INSERT INTO t VALUES (3)");
    outer.Commit();
  }
  Statement values = db.Prepare("SELECT group_concat(x) FROM t");
  ASSERT_TRUE(values.Step());
  EXPECT_EQ(values.ColumnText(0), "1,3");
}

TEST(Transaction, ThreeLevelsUnwindInOrder) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t(x)");
  Transaction outer(db);
  db.Execute("INSERT INTO t VALUES (1)");
  {
    Transaction middle(db);
    db.Execute("INSERT INTO t VALUES (2)");
    {
      Transaction inner(db);
      db.Execute("INSERT INTO t VALUES (3)");
      inner.Commit();
    }
    EXPECT_EQ(CountRows(db, "t"), 3);
    // Rolling back the middle level also undoes the inner one it contains.
  }
  EXPECT_EQ(CountRows(db, "t"), 1);
  {
    Transaction again(db);
    EXPECT_TRUE(again.nested());
    db.Execute("INSERT INTO t VALUES (4)");
    again.Commit();
  }
  outer.Commit();
  EXPECT_EQ(CountRows(db, "t"), 2);
  // Every level ended, so the next Transaction is a new BEGIN IMMEDIATE.
  Transaction next(db);
  EXPECT_FALSE(next.nested());
  next.Commit();
}

TEST(Transaction, NestedFailureRollsBackOnlyInner) {
  TempDir dir;
  Database db(dir / "test.db");
  db.Execute("CREATE TABLE t(x UNIQUE)");
  Transaction outer(db);
  db.Execute("INSERT INTO t VALUES (1)");
  try {
    Transaction inner(db);
    db.Execute("INSERT INTO t VALUES (2)");
    db.Execute("INSERT INTO t VALUES (1)");  // violates UNIQUE
    inner.Commit();
    FAIL() << "expected a unique constraint violation";
  } catch (const SqliteError& error) {
    EXPECT_EQ(error.code(), SQLITE_CONSTRAINT_UNIQUE);
  }
  outer.Commit();
  EXPECT_EQ(CountRows(db, "t"), 1);
}

TEST(Transaction, ReadersSeeCommittedDataWhileWriterHoldsLock) {
  TempDir dir;
  Database writer(dir / "test.db");
  writer.Execute("CREATE TABLE t(x); INSERT INTO t VALUES (1);");
  Database reader(dir / "test.db");
  Transaction transaction(writer);
  writer.Execute("INSERT INTO t VALUES (2)");
  // WAL lets the reader proceed, and it reads only the committed row.
  EXPECT_EQ(CountRows(reader, "t"), 1);
  transaction.Commit();
  EXPECT_EQ(CountRows(reader, "t"), 2);
}

TEST(Transaction, SecondWriterTimesOutWithBusy) {
  TempDir dir;
  Database first(dir / "test.db");
  first.Execute("CREATE TABLE t(x)");
  Database::Options short_wait;
  short_wait.busy_timeout_ms = 100;
  Database second(dir / "test.db", short_wait);
  Transaction holding(first);
  try {
    Transaction blocked(second);
    FAIL() << "expected SQLITE_BUSY";
  } catch (const SqliteError& error) {
    EXPECT_EQ(error.code() & 0xff, SQLITE_BUSY) << error.what();
  }
  holding.Commit();
  Transaction after(second);
  after.Commit();
}

TEST(Transaction, BusyTimeoutWaitsForLock) {
  TempDir dir;
  Database first(dir / "test.db");
  first.Execute("CREATE TABLE t(x)");
  auto holding = std::make_unique<Transaction>(first);
  first.Execute("INSERT INTO t VALUES (1)");

  std::atomic<bool> started = false;
  std::atomic<bool> committed = false;
  std::string failure;
  std::thread waiter([&] {
    try {
      Database::Options long_wait;
      long_wait.busy_timeout_ms = 120000;
      Database second(dir / "test.db", long_wait);
      started = true;
      Transaction transaction(second);  // blocks until `first` commits
      second.Execute("INSERT INTO t VALUES (2)");
      transaction.Commit();
      committed = true;
    } catch (const std::exception& error) {
      failure = error.what();
    }
  });
  while (!started) std::this_thread::yield();
  // The sleep only gives the waiter time to block on the lock. The test also
  // passes without it, but then the busy handler may never run.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(committed);
  holding->Commit();
  holding.reset();
  waiter.join();
  EXPECT_EQ(failure, "");
  EXPECT_TRUE(committed);
  EXPECT_EQ(CountRows(first, "t"), 2);
}

}  // namespace
}  // namespace msearch::store
