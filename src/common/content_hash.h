#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace msearch {

// Identifies file content without reading whole files: SHA-256 over the file
// size and three 64 KiB blocks (start, middle, end), or over all bytes of a
// file of at most 192 KiB. Two files with equal hashes are almost certainly
// identical; callers that must be sure compare the full contents.
// Returns "s1:" followed by 64 hex digits. Throws msearch::Error naming the
// file when it cannot be read.
std::string SampledContentHash(const std::filesystem::path& path);

// SHA-256 of every byte of the file, read in 1 MiB blocks: the check that
// two files with equal sampled hashes really are the same content.
// Returns "sha256:" followed by 64 hex digits. Throws msearch::Error naming
// the file when it cannot be read.
std::string FullContentHash(const std::filesystem::path& path);

}  // namespace msearch
