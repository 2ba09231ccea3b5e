#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "inference/linear.h"
#include "inference/safetensors.h"

namespace msearch::inference {

struct LayerNormWeights {
  const float* gamma = nullptr;
  const float* beta = nullptr;
};

// Float32 views of a checkpoint's tensors, checked against the shapes the
// config implies. F32 tensors are used in place in the mapping; F16, BF16 and
// F64 ones are converted once and kept here. Pointers stay valid as long as
// the store, except converted weights that PackLinear has packed. Errors
// throw ModelError naming the file and the tensor.
class WeightStore {
 public:
  explicit WeightStore(std::shared_ptr<const SafetensorsFile> file);

  // The data of `name`, which must have exactly `expected_shape`.
  const float* Get(const std::string& name, const std::vector<int64_t>& expected_shape);

  // A scalar stored with shape [] or [1].
  float Scalar(const std::string& name);

  // `prefix`.weight [out, in] and, when `with_bias`, `prefix`.bias [out].
  LinearWeights Linear(const std::string& prefix, int out_features, int in_features,
                       bool with_bias = true);

  // Builds a LinearLayer of `segments`, which are views returned by Linear.
  // When the layer packs the weights, the weight matrices are released
  // afterwards. Their pages of the mapped checkpoint leave this process's
  // resident memory and their converted copies are freed, so the packed copy
  // replaces them.
  // Pointers into the mapping stay readable (the file's pages are mapped
  // again on access). Pointers to converted copies dangle. Biases stay.
  LinearLayer PackLinear(std::span<const LinearWeights> segments);
  LinearLayer PackLinear(const LinearWeights& weights) {
    return PackLinear(std::span<const LinearWeights>(&weights, 1));
  }

  // `prefix`.weight and `prefix`.bias, both [width].
  LayerNormWeights LayerNorm(const std::string& prefix, int width);

  // Bytes of converted copies (0 for an all-F32 checkpoint).
  size_t converted_bytes() const { return converted_bytes_; }

  // Bytes of the weights packed by PackLinear.
  size_t packed_bytes() const { return packed_bytes_; }

  // Tensors never requested through this store, for a log line.
  size_t CountUnused() const;

  const SafetensorsFile& file() const { return *file_; }

 private:
  const TensorInfo& Find(const std::string& name);
  void Release(const float* data, size_t count);

  std::shared_ptr<const SafetensorsFile> file_;
  std::deque<std::vector<float>> converted_;
  std::vector<std::string> used_;
  size_t converted_bytes_ = 0;
  size_t packed_bytes_ = 0;
};

}  // namespace msearch::inference
