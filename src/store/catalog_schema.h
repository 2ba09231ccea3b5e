#pragma once

#include <span>

#include "store/migrations.h"

namespace msearch::store {

// Schema history of the catalog database (directories, files, media
// metadata, full-text index).
std::span<const Migration> CatalogMigrations();

}  // namespace msearch::store
