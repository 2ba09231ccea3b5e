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

// Version 2: what the media pipeline and the models extract from a file.
//
// segments are the time ranges search results point at: scene-cut segments
// of a video track and the fixed windows of an audio track. A still image
// has none; its embeddings carry a NULL segment_id.
// embeddings hold one L2-normalised float32 vector (little-endian BLOB) per
// file or segment and embedding space. A space names the model and the
// modality it encodes, so vectors of different models never mix. The vector
// index is derived from this table and can always be rebuilt from it.
// texts hold recognised text with the time it is visible or audible; the
// external-content FTS table indexes it with the same trigram tokenizer as
// names and paths.
// fingerprints hold the raw Chromaprint items of a file's audio, for
// finding a short recording inside a long one.
// full_hash is the SHA-256 of the whole file, computed only when two files
// share a sampled content_hash; perceptual_hash is a 64-bit image hash of a
// still image or of a video's representative frame. analyzed_at is set once
// segments, text and fingerprints are extracted, after the probe.
constexpr std::string_view kVersion2 = R"sql(
ALTER TABLE files ADD COLUMN full_hash TEXT;
ALTER TABLE files ADD COLUMN perceptual_hash INTEGER;
ALTER TABLE files ADD COLUMN analyzed_at REAL;

CREATE TABLE segments (
  id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  track TEXT NOT NULL CHECK (track IN ('video', 'audio')),
  segment_index INTEGER NOT NULL,
  start_s REAL NOT NULL,
  end_s REAL NOT NULL,
  representative_s REAL NOT NULL,
  thumbnail_path TEXT,
  perceptual_hash INTEGER,
  UNIQUE (file_id, track, segment_index)
);

CREATE TABLE embeddings (
  id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  segment_id INTEGER REFERENCES segments(id) ON DELETE CASCADE,
  space TEXT NOT NULL,
  dimension INTEGER NOT NULL,
  vector BLOB NOT NULL,
  created_at REAL NOT NULL
);
CREATE INDEX embeddings_file ON embeddings(file_id);
CREATE INDEX embeddings_space ON embeddings(space, id);

CREATE TABLE texts (
  id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
  source TEXT NOT NULL CHECK (source IN ('ocr', 'speech', 'subtitle')),
  start_s REAL,
  end_s REAL,
  text TEXT NOT NULL
);
CREATE INDEX texts_file ON texts(file_id);

CREATE VIRTUAL TABLE texts_fts USING fts5(
  text, content = 'texts', content_rowid = 'id', tokenize = 'trigram');
CREATE TRIGGER texts_fts_insert AFTER INSERT ON texts BEGIN
  INSERT INTO texts_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER texts_fts_delete AFTER DELETE ON texts BEGIN
  INSERT INTO texts_fts(texts_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

CREATE TABLE fingerprints (
  file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
  algorithm INTEGER NOT NULL,
  item_seconds REAL NOT NULL,
  items BLOB NOT NULL
);
)sql";

// Version 3: a detached directory is no longer watched, but its files stay
// in the catalog, and in search results, until they are removed. The index
// on files.updated_at serves the REST API's feed of file changes.
constexpr std::string_view kVersion3 = R"sql(
ALTER TABLE directories ADD COLUMN detached INTEGER NOT NULL DEFAULT 0;
CREATE INDEX files_updated_at ON files(updated_at);
)sql";

constexpr std::array kMigrations = {Migration{1, kVersion1}, Migration{2, kVersion2},
                                    Migration{3, kVersion3}};

}  // namespace

std::span<const Migration> CatalogMigrations() { return kMigrations; }

}  // namespace msearch::store
