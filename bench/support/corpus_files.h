#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

namespace msearch::bench {

// The 20000 x 20000 PNG of the corpus images. It is measured on its own
// because one file of that size would dominate a files-per-second figure.
inline constexpr std::string_view kHugeImageName = "huge_20000x20000_gray.png";

// True when `corpus` has the images/ folder the benchmarks read. Otherwise
// prints a one-line message that `program` skips and how to point it at a
// corpus, so a missing corpus is not an error.
bool CorpusAvailable(const std::filesystem::path& corpus, std::string_view program);

// Regular files directly in `corpus`/`subfolder`, sorted by name, except the
// huge image.
std::vector<std::filesystem::path> CorpusFiles(const std::filesystem::path& corpus,
                                               std::string_view subfolder);

// Copies each file `copies` times into `destination` (created if missing),
// as NAME_cN.EXT with N from 1, so every copy is a distinct file with a
// distinct name. Returns the paths written. Throws
// std::filesystem::filesystem_error.
std::vector<std::filesystem::path> CopyFiles(const std::vector<std::filesystem::path>& files,
                                             const std::filesystem::path& destination, int copies);

}  // namespace msearch::bench
