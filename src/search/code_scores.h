#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace msearch::search {

// Rows of 8-bit codes are padded to a multiple of this many bytes, so the
// kernels need no tail handling.
inline constexpr size_t kCodeAlignment = 64;

// Scores `rows` rows of unsigned 8-bit codes against signed 8-bit query
// codes: out[r] = sum over i of codes[r * stride + i] * query[i], for i below
// `stride`, exactly in 32-bit integers. `stride` is a multiple of
// kCodeAlignment. Uses AVX-512 VNNI or AVX2 when the CPU has them (checked
// on the first call), else portable code; all give the same result.
// Thread-safe.
void ScoreCodes(const uint8_t* codes, size_t rows, size_t stride, const int8_t* query,
                int32_t* out);

// Returns the name of the kernel ScoreCodes uses: "avx512-vnni", "avx2" or
// "portable".
std::string_view CodeScoreKernel();

// An implementation of ScoreCodes, for tests that compare them.
struct CodeScoreImplementation {
  std::string_view name;
  void (*score)(const uint8_t* codes, size_t rows, size_t stride, const int8_t* query,
                int32_t* out);
};

// Returns the implementations this CPU can run, the portable one first.
std::vector<CodeScoreImplementation> SupportedCodeScoreKernels();

}  // namespace msearch::search
