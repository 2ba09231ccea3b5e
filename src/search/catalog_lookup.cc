#include "search/catalog_lookup.h"

#include <algorithm>

namespace msearch::search {
namespace {

// Bound parameters per statement, well under SQLite's default limit of 32766.
constexpr size_t kIdsPerStatement = 500;

}  // namespace

std::unordered_map<int64_t, EmbeddingLocation> LocateEmbeddings(store::Database& catalog,
                                                                std::span<const int64_t> ids) {
  std::unordered_map<int64_t, EmbeddingLocation> locations;
  for (size_t begin = 0; begin < ids.size(); begin += kIdsPerStatement) {
    size_t end = std::min(ids.size(), begin + kIdsPerStatement);
    std::string sql =
        "SELECT e.id, e.file_id, e.segment_id, s.track, s.segment_index, s.start_s, s.end_s, "
        "s.representative_s, s.thumbnail_path FROM embeddings e "
        "LEFT JOIN segments s ON s.id = e.segment_id WHERE e.id IN (";
    for (size_t i = begin; i < end; ++i) sql += i == begin ? "?" : ",?";
    sql += ")";
    store::Statement select = catalog.Prepare(sql);
    for (size_t i = begin; i < end; ++i) select.Bind(static_cast<int>(i - begin + 1), ids[i]);
    while (select.Step()) {
      EmbeddingLocation location;
      location.file_id = select.ColumnInt(1);
      location.segment_id = select.ColumnOptionalInt(2);
      if (location.segment_id) {
        location.track = select.ColumnText(3);
        location.segment_index = static_cast<int>(select.ColumnInt(4));
        location.start_s = select.ColumnDouble(5);
        location.end_s = select.ColumnDouble(6);
        location.representative_s = select.ColumnDouble(7);
        location.thumbnail_path = select.ColumnOptionalText(8);
      }
      locations.emplace(select.ColumnInt(0), std::move(location));
    }
  }
  return locations;
}

}  // namespace msearch::search
