#include "store/migrations.h"

#include <array>
#include <string>

#include <gtest/gtest.h>

#include "store/catalog.h"
#include "store/catalog_schema.h"
#include "support/temp_dir.h"

namespace msearch::store {
namespace {

using msearch::testing::TempDir;

bool TableExists(Database& db, const std::string& name) {
  Statement query = db.Prepare("SELECT count(*) FROM sqlite_master WHERE name = ?");
  query.Bind(1, name);
  query.Step();
  return query.ColumnInt(0) > 0;
}

int64_t CountRows(Database& db, const std::string& table) {
  Statement count = db.Prepare("SELECT count(*) FROM " + table);
  count.Step();
  return count.ColumnInt(0);
}

constexpr std::array kTwoSteps = {
    Migration{1, "CREATE TABLE a(x); INSERT INTO a VALUES (1);"},
    Migration{2, "CREATE TABLE b(y); INSERT INTO a VALUES (2);"},
};

TEST(Migrations, NewFileHasVersionZero) {
  TempDir dir;
  Database db(dir / "test.db");
  EXPECT_EQ(SchemaVersion(db), 0);
}

TEST(Migrations, FreshDatabaseReachesNewest) {
  TempDir dir;
  Database db(dir / "test.db");
  ApplyMigrations(db, "test", kTwoSteps);
  EXPECT_EQ(SchemaVersion(db), 2);
  EXPECT_TRUE(TableExists(db, "a"));
  EXPECT_TRUE(TableExists(db, "b"));
  EXPECT_EQ(CountRows(db, "a"), 2);
}

TEST(Migrations, ReapplyIsNoOp) {
  TempDir dir;
  {
    Database db(dir / "test.db");
    ApplyMigrations(db, "test", kTwoSteps);
  }
  Database db(dir / "test.db");
  ApplyMigrations(db, "test", kTwoSteps);
  ApplyMigrations(db, "test", kTwoSteps);
  EXPECT_EQ(SchemaVersion(db), 2);
  // The inserts inside the steps did not run again.
  EXPECT_EQ(CountRows(db, "a"), 2);
}

TEST(Migrations, RunsOnlyMissingSteps) {
  TempDir dir;
  Database db(dir / "test.db");
  ApplyMigrations(db, "test", std::span(kTwoSteps).first(1));
  EXPECT_EQ(SchemaVersion(db), 1);
  EXPECT_FALSE(TableExists(db, "b"));
  ApplyMigrations(db, "test", kTwoSteps);
  EXPECT_EQ(SchemaVersion(db), 2);
  EXPECT_EQ(CountRows(db, "a"), 2);
}

TEST(Migrations, NewerVersionRejected) {
  TempDir dir;
  std::filesystem::path path = dir / "test.db";
  Database db(path);
  db.Execute("PRAGMA user_version = 7");
  try {
    ApplyMigrations(db, "catalog", kTwoSteps);
    FAIL() << "expected Error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("catalog schema version 7"), std::string::npos) << message;
    EXPECT_NE(message.find("only up to 2"), std::string::npos) << message;
    EXPECT_NE(message.find("upgrade msearch"), std::string::npos) << message;
  }
  EXPECT_EQ(SchemaVersion(db), 7);
  EXPECT_FALSE(TableExists(db, "a"));
}

TEST(Migrations, FailingStepRollsBack) {
  TempDir dir;
  Database db(dir / "test.db");
  constexpr std::array kBroken = {
      Migration{1, "CREATE TABLE a(x);"},
      Migration{2, "CREATE TABLE b(y); INSERT INTO missing_table VALUES (1);"},
  };
  EXPECT_THROW(ApplyMigrations(db, "test", kBroken), SqliteError);
  EXPECT_EQ(SchemaVersion(db), 1);
  EXPECT_TRUE(TableExists(db, "a"));
  // The statement that ran before the failure in step 2 was undone.
  EXPECT_FALSE(TableExists(db, "b"));

  // A fixed step 2 then applies on top of version 1.
  constexpr std::array kFixed = {
      Migration{1, "CREATE TABLE a(x);"},
      Migration{2, "CREATE TABLE b(y);"},
  };
  ApplyMigrations(db, "test", kFixed);
  EXPECT_EQ(SchemaVersion(db), 2);
  EXPECT_TRUE(TableExists(db, "b"));
}

TEST(Migrations, CatalogSchemaReachesNewest) {
  TempDir dir;
  Catalog catalog(dir / "catalog.db");
  EXPECT_EQ(SchemaVersion(catalog.database()), CatalogMigrations().back().version);
  for (const char* table : {"directories", "files", "media_metadata", "files_fts"}) {
    EXPECT_TRUE(TableExists(catalog.database(), table)) << table;
  }
}

TEST(Migrations, CatalogReopenKeepsData) {
  TempDir dir;
  {
    Catalog catalog(dir / "catalog.db");
    catalog.AddDirectory(dir / "media", true, true);
  }
  Catalog catalog(dir / "catalog.db");
  EXPECT_EQ(catalog.ListDirectories().size(), 1u);
  EXPECT_EQ(SchemaVersion(catalog.database()), CatalogMigrations().back().version);
}

TEST(Migrations, CatalogFromNewerMsearchRejected) {
  TempDir dir;
  std::filesystem::path path = dir / "catalog.db";
  {
    Database db(path);
    db.Execute("PRAGMA user_version = 999");
  }
  try {
    Catalog catalog(path);
    FAIL() << "expected Error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("999"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace msearch::store
