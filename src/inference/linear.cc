#include "inference/linear.h"

#include <algorithm>
#include <cassert>

#include <cblas.h>

#include "inference/kernels.h"

namespace msearch::inference {
namespace {

// Column blocks are multiples of this many outputs, a multiple of the SGEMM
// micro-kernel widths of OpenBLAS (4 to 16 floats).
constexpr int kColumnAlignment = 16;

// Up to this many column blocks per thread, taken dynamically, so a thread
// that the OS preempts on a busy machine delays less of the layer...
constexpr int kBlocksPerThread = 4;

// ...but no block narrower than this, below which sgemm loses efficiency
// (it packs the whole input once per call).
constexpr int kMinBlockColumns = 256;

}  // namespace

void UseSingleThreadedBlas() {
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

void Linear(ThreadPool& pool, const float* input, int rows, int input_stride,
            std::span<const LinearWeights> segments, float* output, int output_stride,
            const LinearOptions& options) {
  assert(!options.accumulate || !options.activation);
  if (rows <= 0 || segments.empty()) return;
  int total_columns = 0;
  for (const LinearWeights& segment : segments) total_columns += segment.out_features;
  const int in_features = segments[0].in_features;

  const int threads = pool.num_threads();
  const int blocks =
      std::max(1, std::min({threads * kBlocksPerThread, total_columns / kMinBlockColumns,
                            (total_columns + kColumnAlignment - 1) / kColumnAlignment}));
  int columns_per_block = (total_columns + blocks - 1) / blocks;
  columns_per_block =
      (columns_per_block + kColumnAlignment - 1) / kColumnAlignment * kColumnAlignment;

  pool.ParallelFor(blocks, [&](int block) {
    const int block_begin = block * columns_per_block;
    const int block_end = std::min(total_columns, block_begin + columns_per_block);
    int segment_begin = 0;
    for (const LinearWeights& segment : segments) {
      const int segment_end = segment_begin + segment.out_features;
      const int begin = std::max(block_begin, segment_begin);
      const int end = std::min(block_end, segment_end);
      if (begin < end) {
        const int local = begin - segment_begin;
        const int width = end - begin;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, width, in_features, 1.0f, input,
                    input_stride, segment.weight + static_cast<size_t>(local) * in_features,
                    in_features, options.accumulate ? 1.0f : 0.0f, output + begin, output_stride);
        const float* bias = segment.bias != nullptr ? segment.bias + local : nullptr;
        if (bias != nullptr || options.activation) {
          for (int row = 0; row < rows; ++row) {
            BiasActivation(output + static_cast<size_t>(row) * output_stride + begin, bias, width,
                           options.activation);
          }
        }
      }
      segment_begin = segment_end;
    }
  });
}

void Linear(ThreadPool& pool, const float* input, int rows, int input_stride,
            const LinearWeights& weights, float* output, int output_stride,
            const LinearOptions& options) {
  Linear(pool, input, rows, input_stride, std::span<const LinearWeights>(&weights, 1), output,
         output_stride, options);
}

LinearLayer::LinearLayer(std::span<const LinearWeights> segments, const gemm::MicroKernel* kernel) {
  if (segments.empty()) return;
  in_features_ = segments[0].in_features;
  for (const LinearWeights& segment : segments) out_features_ += segment.out_features;
  if (kernel != nullptr) {
    packed_ = std::make_shared<const PackedMatrix>(segments, *kernel);
  } else {
    segments_.assign(segments.begin(), segments.end());
  }
}

void Linear(ThreadPool& pool, const float* input, int rows, int input_stride,
            const LinearLayer& layer, float* output, int output_stride,
            const LinearOptions& options) {
  if (layer.packed() != nullptr) {
    PackedGemm(pool, input, rows, input_stride, *layer.packed(), output, output_stride, options);
  } else {
    Linear(pool, input, rows, input_stride, layer.segments(), output, output_stride, options);
  }
}

}  // namespace msearch::inference
