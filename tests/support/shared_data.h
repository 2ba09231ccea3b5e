#pragma once

#include <filesystem>
#include <optional>

#include <gtest/gtest.h>

namespace msearch::testing {

// The shared reference folder (media corpus and model fixtures), or nullopt
// when it is absent, as in a user's clone of the repository.
std::optional<std::filesystem::path> SharedDir();

// The folder holding the built msearch executable.
std::filesystem::path BinaryDir();

}  // namespace msearch::testing

// Skips the current test with a one-line message when the shared reference
// folder is missing; otherwise declares `shared_dir` for the test body.
#define MSEARCH_REQUIRE_SHARED_DIR(shared_dir)                                           \
  auto shared_dir##_optional = ::msearch::testing::SharedDir();                          \
  if (!shared_dir##_optional) GTEST_SKIP() << "shared reference data not found; skipped"; \
  const std::filesystem::path shared_dir = *shared_dir##_optional
