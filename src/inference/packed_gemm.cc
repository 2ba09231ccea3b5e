#include "inference/packed_gemm.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <new>

#include <sys/mman.h>
#include <unistd.h>

namespace msearch::inference {
namespace {

// The size of a transparent huge page on x86-64.
constexpr size_t kHugePageBytes = size_t{2} << 20;

// Input indices per slice. A slice of an AVX-512 panel (48 columns) then
// takes at most 192 KiB and a 128-row block's slice of the input 512 KiB.
// Together they fit the 1 MiB L2 cache of a Zen 4 core, where the kernel
// reuses them. On one such core the layer shapes of ViT-B/32 ran within a
// few percent of each other with slices of 512 to 4096 indices, and up to
// 10 % slower with 128 or 256 (`inference_bench --gemm --threads 1`, with
// this constant changed).
constexpr int kMaxSliceDepth = 1024;

// Up to kMaxSingleBlockRows rows, the whole input is one row block, which
// the threads share by splitting the panels. Larger inputs are cut into
// blocks of kBlockRows rows (rounded to whole tiles), which gives the
// threads more items to share.
constexpr int kMaxSingleBlockRows = 192;
constexpr int kBlockRows = 128;

// Items per thread that the split aims for, taken dynamically, so that a
// thread the OS preempts on a busy machine delays less of the call.
constexpr int kItemsPerThread = 4;

int CeilDiv(int a, int b) { return (a + b - 1) / b; }

}  // namespace

// Maps `bytes` (whole pages) of zeroed memory at a 2 MiB boundary and
// requests huge pages there. The 2 MiB mapped in excess to find the boundary are
// unmapped again, so only the tail past the last whole huge page uses small
// pages, and no memory is lost.
float* MapPanels(size_t bytes) {
  void* mapping = ::mmap(nullptr, bytes + kHugePageBytes, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(mapping);
  const uintptr_t aligned = (start + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  if (aligned > start) ::munmap(mapping, aligned - start);
  const uintptr_t end = aligned + bytes;
  const uintptr_t mapping_end = start + bytes + kHugePageBytes;
  if (mapping_end > end) ::munmap(reinterpret_cast<void*>(end), mapping_end - end);
  // Fails without transparent huge page support. Small pages then work the
  // same, only slower.
  ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
  return reinterpret_cast<float*>(aligned);
}

void PanelUnmapper::operator()(float* pointer) const { ::munmap(pointer, bytes); }

PackedMatrix::PackedMatrix(std::span<const LinearWeights> segments, const gemm::MicroKernel& kernel)
    : kernel_(&kernel) {
  assert(!segments.empty());
  in_features_ = segments[0].in_features;
  bool any_bias = false;
  for (const LinearWeights& segment : segments) {
    assert(segment.in_features == in_features_);
    out_features_ += segment.out_features;
    any_bias = any_bias || segment.bias != nullptr;
  }
  const int width = kernel.panel_width;
  num_panels_ = CeilDiv(out_features_, width);
  const size_t count = static_cast<size_t>(num_panels_) * width * in_features_;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t mapped = std::max(page, (count * sizeof(float) + page - 1) / page * page);
  data_ = std::unique_ptr<float[], PanelUnmapper>(MapPanels(mapped), PanelUnmapper{mapped});
  if (any_bias) bias_.assign(static_cast<size_t>(num_panels_) * width, 0.0f);

  // Column n of the concatenation is one row of a segment's weight. It goes
  // to lane n % width of panel n / width, one input index per panel row.
  // The copy runs in blocks of kPackDepth input indices, so that the pieces
  // of the source rows and the panel rows being written stay in the L1
  // cache.
  std::vector<const float*> sources;
  sources.reserve(out_features_);
  for (const LinearWeights& segment : segments) {
    for (int local = 0; local < segment.out_features; ++local) {
      sources.push_back(segment.weight + static_cast<size_t>(local) * in_features_);
      if (segment.bias != nullptr) bias_[sources.size() - 1] = segment.bias[local];
    }
  }
  constexpr int kPackDepth = 64;
  for (int panel = 0; panel < num_panels_; ++panel) {
    float* target = data_.get() + static_cast<size_t>(panel) * width * in_features_;
    const int lanes = std::min(width, out_features_ - panel * width);
    for (int k_begin = 0; k_begin < in_features_; k_begin += kPackDepth) {
      const int k_end = std::min(in_features_, k_begin + kPackDepth);
      for (int lane = 0; lane < lanes; ++lane) {
        const float* source = sources[static_cast<size_t>(panel) * width + lane];
        for (int k = k_begin; k < k_end; ++k) {
          target[static_cast<size_t>(k) * width + lane] = source[k];
        }
      }
    }
  }
}

size_t PackedMatrix::bytes() const {
  return static_cast<size_t>(num_panels_) * kernel_->panel_width * in_features_ * sizeof(float) +
         bias_.size() * sizeof(float);
}

void PackedGemm(ThreadPool& pool, const float* input, int rows, int64_t input_stride,
                const PackedMatrix& weights, float* output, int64_t output_stride,
                const LinearOptions& options) {
  assert(!options.accumulate || !options.activation);
  if (rows <= 0) return;
  const gemm::MicroKernel& kernel = weights.kernel();
  const int tile_rows = kernel.max_rows;
  const int width = kernel.panel_width;
  const int depth = weights.in_features();
  const int out_features = weights.out_features();
  const int panels = weights.num_panels();

  const int slices = CeilDiv(depth, kMaxSliceDepth);
  const int slice_depth = CeilDiv(depth, slices);
  const int block_rows =
      rows <= kMaxSingleBlockRows ? rows : CeilDiv(kBlockRows, tile_rows) * tile_rows;
  const int row_blocks = CeilDiv(rows, block_rows);
  const int target_items = pool.num_threads() * kItemsPerThread;
  const int groups = std::clamp(CeilDiv(target_items, row_blocks), 1, panels);
  const int panels_per_group = CeilDiv(panels, groups);
  const int panel_groups = CeilDiv(panels, panels_per_group);

  pool.ParallelFor(row_blocks * panel_groups, [&](int item) {
    const int row_begin = (item / panel_groups) * block_rows;
    const int row_end = std::min(rows, row_begin + block_rows);
    const int panel_begin = (item % panel_groups) * panels_per_group;
    const int panel_end = std::min(panels, panel_begin + panels_per_group);
    for (int slice = 0; slice < slices; ++slice) {
      const int k_begin = slice * slice_depth;
      const int k_count = std::min(depth, k_begin + slice_depth) - k_begin;
      const bool last_slice = slice + 1 == slices;
      for (int panel = panel_begin; panel < panel_end; ++panel) {
        const int column = panel * width;
        gemm::TileArguments args;
        args.lda = input_stride;
        args.b = weights.panel(panel) + static_cast<size_t>(k_begin) * width;
        args.ldc = output_stride;
        args.bias = slice == 0 ? weights.bias(panel) : nullptr;
        args.columns = std::min(width, out_features - column);
        args.depth = k_count;
        args.add_to_c = slice > 0 || options.accumulate;
        args.activate = last_slice && options.activation.has_value();
        if (args.activate) args.activation = *options.activation;
        for (int row = row_begin; row < row_end; row += tile_rows) {
          args.a = input + row * input_stride + k_begin;
          args.c = output + row * output_stride + column;
          args.rows = std::min(tile_rows, row_end - row);
          kernel.run(args);
        }
      }
    }
  });
}

}  // namespace msearch::inference
