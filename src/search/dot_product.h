#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace msearch::search {

// Returns the inner product of two arrays of `dimension` floats. Uses
// AVX-512 or AVX2 with FMA when the CPU has them (checked on the first
// call), else portable code. The kernels sum in different orders, so
// results may differ in the last bits between machines. Thread-safe.
float InnerProduct(const float* a, const float* b, size_t dimension);

// Returns the name of the kernel InnerProduct uses: "avx512", "avx2" or
// "portable".
std::string_view InnerProductKernel();

// Returns true when every element is finite.
bool AllFinite(std::span<const float> vector);

// Scales `vector` to unit L2 norm in place. Returns false, leaving it
// unchanged, when it is empty, all zeros or contains a non-finite value.
bool NormalizeInPlace(std::span<float> vector);

}  // namespace msearch::search
