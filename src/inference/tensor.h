#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace msearch::inference {

// A dense row-major float32 array that owns its values; the engine's output type.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> values;

  Tensor() = default;
  // A zero-filled tensor of `shape`.
  explicit Tensor(std::vector<int64_t> tensor_shape);

  int64_t size() const { return static_cast<int64_t>(values.size()); }
  bool empty() const { return values.empty(); }
  float* data() { return values.data(); }
  const float* data() const { return values.data(); }

  // Row `i` along the first axis (all remaining axes flattened).
  std::span<float> row(int64_t i);
  std::span<const float> row(int64_t i) const;
};

}  // namespace msearch::inference
