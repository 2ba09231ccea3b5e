#include "store/catalog_schema.h"

#include <array>

namespace msearch::store {
namespace {

// Version 1: directories, files, media metadata and the name/path/tag index.
//
// files.path is the absolute path as the scanner saw it. mtime_ns, inode and
// device detect changes and renames without reading file contents.
// files_fts uses the trigram tokenizer so that any substring of three or
// more characters matches, which also finds words inside Chinese text that
// has no spaces; shorter queries fall back to LIKE over the same table.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE directories (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  recursive INTEGER NOT NULL DEFAULT 1,
  state TEXT NOT NULL DEFAULT 'initializing'
    CHECK (state IN ('initializing', 'monitoring', 'paused', 'error')),
  error TEXT,
  from_config INTEGER NOT NULL DEFAULT 0,
  added_at REAL NOT NULL,
  last_scan_at REAL
);

CREATE TABLE files (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  directory_id INTEGER NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
  path TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  extension TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('image', 'video', 'audio')),
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  device INTEGER NOT NULL,
  content_hash TEXT,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'processing', 'indexed', 'failed')),
  error TEXT,
  thumbnail_path TEXT,
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  indexed_at REAL
);
CREATE INDEX files_directory ON files(directory_id);
CREATE INDEX files_status ON files(status);
CREATE INDEX files_kind ON files(kind);
CREATE INDEX files_inode ON files(device, inode);
CREATE INDEX files_content_hash ON files(content_hash);

CREATE TABLE media_metadata (
  file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
  format TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  duration REAL NOT NULL,
  rotation INTEGER NOT NULL,
  has_video INTEGER NOT NULL,
  has_audio INTEGER NOT NULL,
  info TEXT NOT NULL,
  probed_at REAL NOT NULL
);

CREATE VIRTUAL TABLE files_fts USING fts5(name, path, tags, tokenize = 'trigram');

CREATE TRIGGER files_fts_insert AFTER INSERT ON files BEGIN
  INSERT INTO files_fts(rowid, name, path, tags) VALUES (new.id, new.name, new.path, '');
END;
CREATE TRIGGER files_fts_delete AFTER DELETE ON files BEGIN
  DELETE FROM files_fts WHERE rowid = old.id;
END;
CREATE TRIGGER files_fts_rename AFTER UPDATE OF path ON files BEGIN
  UPDATE files_fts SET name = new.name, path = new.path WHERE rowid = new.id;
END;
)sql";

constexpr std::array kMigrations = {Migration{1, kVersion1}};

}  // namespace

std::span<const Migration> CatalogMigrations() { return kMigrations; }

}  // namespace msearch::store
