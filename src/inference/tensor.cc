#include "inference/tensor.h"

namespace msearch::inference {
namespace {

int64_t ElementCount(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

}  // namespace

Tensor::Tensor(std::vector<int64_t> tensor_shape)
    : shape(std::move(tensor_shape)), values(static_cast<size_t>(ElementCount(shape)), 0.0f) {}

std::span<float> Tensor::row(int64_t i) {
  const size_t width = shape.empty() || shape[0] == 0 ? 0 : values.size() / shape[0];
  return {values.data() + i * width, width};
}

std::span<const float> Tensor::row(int64_t i) const {
  const size_t width = shape.empty() || shape[0] == 0 ? 0 : values.size() / shape[0];
  return {values.data() + i * width, width};
}

}  // namespace msearch::inference
