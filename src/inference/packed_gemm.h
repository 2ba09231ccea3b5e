#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "inference/gemm_kernel.h"
#include "inference/linear_weights.h"
#include "inference/thread_pool.h"

namespace msearch::inference {

// Unmaps the packed panels of a PackedMatrix, which have their own mapping.
struct PanelUnmapper {
  size_t bytes = 0;
  void operator()(float* pointer) const;
};

// The weights of a linear layer rearranged once, at model load, into the
// panel layout of one micro-kernel, so that no call copies them again. The
// output columns are cut into panels of kernel.panel_width columns. For each
// input index k, panel p contains the weights of columns [p * width,
// (p + 1) * width) at k, contiguous, and every panel starts 64-byte aligned. Columns past
// out_features are zero, and so is the bias there. Several segments (q, k and v) are concatenated
// along the output axis, as Linear does with them.
class PackedMatrix {
 public:
  // Copies the weights of `segments` (all with the same in_features, at least
  // one) into the panels of `kernel`. A segment without a bias gets zeros
  // when another one has a bias. The panels get their own mapping, aligned to
  // 2 MiB and marked for transparent huge pages, because a short text
  // streams every weight from memory once per call. With huge pages one
  // thread read memory 1.4 times faster on the benchmark machine (fewer TLB
  // misses). Throws std::bad_alloc when out of memory.
  PackedMatrix(std::span<const LinearWeights> segments, const gemm::MicroKernel& kernel);

  int out_features() const { return out_features_; }
  int in_features() const { return in_features_; }
  int num_panels() const { return num_panels_; }
  const gemm::MicroKernel& kernel() const { return *kernel_; }

  const float* panel(int index) const {
    return data_.get() + static_cast<size_t>(index) * in_features_ * kernel_->panel_width;
  }
  // The panel_width bias values of panel `index`, or nullptr without a bias.
  const float* bias(int index) const {
    return bias_.empty() ? nullptr
                         : bias_.data() + static_cast<size_t>(index) * kernel_->panel_width;
  }

  // Bytes of the packed weights and bias.
  size_t bytes() const;

 private:
  const gemm::MicroKernel* kernel_;
  int out_features_ = 0;
  int in_features_ = 0;
  int num_panels_ = 0;
  std::unique_ptr<float[], PanelUnmapper> data_;
  std::vector<float> bias_;
};

// output[r, :] (+)= act(input[r, :] W^T + b) for r in [0, rows), the contract
// of Linear, with W and b packed in `weights`. The rows are cut into blocks
// and the panels into groups, and the pool's threads take (block, group)
// items in turn. Inside an item the input dimension is cut into slices of at
// most 1024 indices, and each slice of a panel is reused by every row tile
// of the block. The kernel adds the bias when it stores the first slice's
// sums, adds a residual (accumulate) by adding the values already in C, and
// applies the activation after the last slice. Strides are in floats, and
// `output` must not overlap `input`.
void PackedGemm(ThreadPool& pool, const float* input, int rows, int64_t input_stride,
                const PackedMatrix& weights, float* output, int64_t output_stride,
                const LinearOptions& options);

}  // namespace msearch::inference
