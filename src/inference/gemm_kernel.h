#pragma once

#include <cstdint>
#include <vector>

#include "inference/activation.h"

// The register-tile micro-kernels behind PackedMatrix and PackedGemm, one per
// instruction set. Each lives in its own translation unit compiled for its
// instruction set, and is only called after the CPU has been checked.
namespace msearch::inference::gemm {

// Instruction sets with a micro-kernel, fastest first.
enum class Isa {
  kAvx512,  // AVX-512F: 8 rows x 48 columns, 24 zmm accumulators
  kAvx2,    // AVX2 + FMA: 6 rows x 16 columns, 12 ymm accumulators
};

// One call of a micro-kernel: C[rows, columns] = A[rows, depth] B (+ bias)
// (+ C), where B is one packed panel of `depth` rows of panel_width floats
// (the weights of panel_width output columns at each input index).
struct TileArguments {
  const float* a = nullptr;  // row-major, lda floats between rows
  int64_t lda = 0;
  const float* b = nullptr;  // the panel, 64-byte aligned
  float* c = nullptr;        // row-major, ldc floats between rows
  int64_t ldc = 0;
  const float* bias = nullptr;  // panel_width values added to every row, or nullptr
  int rows = 0;                 // 1 to max_rows
  int columns = 0;              // 1 to panel_width, and C past them is neither read nor written
  int depth = 0;                // >= 1
  bool add_to_c = false;        // adds to the values in C instead of overwriting them
  // Applies `activation` to the stored tile while it is in the L1 cache. A
  // plain bool and enum rather than std::optional, so that the kernel files
  // need no library template compiled for their instruction set.
  bool activate = false;
  Activation activation = Activation::kRelu;
};

using TileFunction = void (*)(const TileArguments&);

// One attention head for the attention functions of a kernel: tokens are
// `stride` floats apart in the query, key and value arrays (the q, k and v
// columns of this head in the fused projection's output).
struct HeadArguments {
  const float* query = nullptr;
  const float* key = nullptr;
  const float* value = nullptr;
  int64_t stride = 0;
  int length = 0;         // tokens
  int head_dim = 0;       // a multiple of attention_lanes
  int padded_length = 0;  // length rounded up to a multiple of attention_lanes
  float scale = 1.0f;     // multiplies every score
  bool causal = false;    // for head_softmax: query i attends to keys 0 to i only
  // [length, padded_length] scores, followed by head_dim * padded_length
  // floats of scratch for the transposed keys.
  float* scores = nullptr;
  float* context = nullptr;  // the head's output, tokens context_stride floats apart
  int64_t context_stride = 0;
};

using HeadFunction = void (*)(const HeadArguments&);

// The functions and register tile shape of one instruction set's kernel.
struct MicroKernel {
  Isa isa;
  const char* name;  // "avx512" or "avx2", for logs and benchmarks
  int max_rows;      // rows of the register tile
  int panel_width;   // columns of the register tile and of a packed panel
  TileFunction run;
  int attention_lanes;  // floats per vector of the attention functions
  // scores = scale * Q K^T over all tokens of one head, in HeadArguments.
  HeadFunction head_scores;
  // Softmax of each score row in place, with zeros for the keys a causal
  // query does not see. For heads without a padding mask.
  HeadFunction head_softmax;
  // context = P V, with the probabilities P in place of the scores.
  HeadFunction head_context;
};

// The kernels this CPU can run, fastest first. Empty on CPUs without AVX2
// and FMA and on other architectures.
const std::vector<const MicroKernel*>& SupportedKernels();

// The kernel the engine uses: the fastest supported one, or nullptr when
// there is none (the engine then calls OpenBLAS). The environment variable
// MSEARCH_GEMM (avx512, avx2 or blas) selects another path, for tests and
// comparisons. A value this CPU does not support is logged and ignored. The
// variable is read once per process.
const MicroKernel* DefaultKernel();

// Defined in gemm_kernel_avx512.cc and gemm_kernel_avx2.cc. Callers must
// check the CPU first, as SupportedKernels does.
const MicroKernel& Avx512Kernel();
const MicroKernel& Avx2Kernel();

}  // namespace msearch::inference::gemm
