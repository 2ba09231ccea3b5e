#pragma once

#include <memory>
#include <span>
#include <vector>

#include "inference/gemm_kernel.h"
#include "inference/linear_weights.h"
#include "inference/packed_gemm.h"
#include "inference/thread_pool.h"

namespace msearch::inference {

// output[r, :] (+)= act(input[r, :] W^T + b) for r in [0, rows), where W is the
// concatenation of `segments` along the output axis (all with the same
// in_features), so q, k and v land side by side in one output row. Output
// columns are split into blocks that the pool's threads take in turn. Each
// block is one single-threaded cblas_sgemm (transposed B, no weight copy),
// followed by bias and activation while the block is still in cache.
// Strides are in floats.
void Linear(ThreadPool& pool, const float* input, int rows, int input_stride,
            std::span<const LinearWeights> segments, float* output, int output_stride,
            const LinearOptions& options = {});

// Convenience overload for one weight matrix.
void Linear(ThreadPool& pool, const float* input, int rows, int input_stride,
            const LinearWeights& weights, float* output, int output_stride,
            const LinearOptions& options = {});

// A linear layer prepared once for many calls. With a micro-kernel for this
// CPU (gemm::DefaultKernel), the weights are copied into its panel layout and
// the segments' own memory is no longer read, so the caller may release it.
// Without one, the layer keeps the segments and runs on OpenBLAS. Immutable
// after construction, so any number of threads may call Linear with it.
class LinearLayer {
 public:
  LinearLayer() = default;

  // Packs `segments` (concatenated along the output axis, all with the same
  // in_features) for `kernel`, or keeps them when `kernel` is nullptr.
  LinearLayer(std::span<const LinearWeights> segments, const gemm::MicroKernel* kernel);
  explicit LinearLayer(std::span<const LinearWeights> segments)
      : LinearLayer(segments, gemm::DefaultKernel()) {}
  explicit LinearLayer(const LinearWeights& weights)
      : LinearLayer(std::span<const LinearWeights>(&weights, 1)) {}

  int out_features() const { return out_features_; }
  int in_features() const { return in_features_; }
  // The packed weights, or nullptr when the layer runs on OpenBLAS.
  const PackedMatrix* packed() const { return packed_.get(); }
  // The unpacked segments, or empty when the layer is packed.
  std::span<const LinearWeights> segments() const { return segments_; }

 private:
  int out_features_ = 0;
  int in_features_ = 0;
  std::shared_ptr<const PackedMatrix> packed_;
  std::vector<LinearWeights> segments_;
};

// Runs Linear with a prepared layer, through the packed GEMM when the layer
// is packed and through the OpenBLAS path above otherwise. Same contract.
void Linear(ThreadPool& pool, const float* input, int rows, int input_stride,
            const LinearLayer& layer, float* output, int output_stride,
            const LinearOptions& options = {});

// Sets OpenBLAS to one thread per call, which Linear and the attention kernel
// rely on: parallelism comes from the pool, and OpenBLAS's own pthreads would
// otherwise compete with it for the same cores. Safe to call repeatedly.
void UseSingleThreadedBlas();

}  // namespace msearch::inference
