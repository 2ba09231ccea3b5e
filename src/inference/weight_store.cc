#include "inference/weight_store.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "inference/model_error.h"

namespace msearch::inference {

WeightStore::WeightStore(std::shared_ptr<const SafetensorsFile> file) : file_(std::move(file)) {}

const TensorInfo& WeightStore::Find(const std::string& name) {
  if (!file_->Contains(name)) {
    throw ModelError(fmt::format(
        "'{}' has no tensor '{}', which the architecture in config.json requires; the checkpoint "
        "and config.json do not belong together",
        file_->path().string(), name));
  }
  used_.push_back(name);
  return file_->Info(name);
}

const float* WeightStore::Get(const std::string& name, const std::vector<int64_t>& expected_shape) {
  const TensorInfo& info = Find(name);
  if (info.shape != expected_shape) {
    throw ModelError(fmt::format("'{}': tensor '{}' has shape {}, expected {} from config.json",
                                 file_->path().string(), name, FormatShape(info.shape),
                                 FormatShape(expected_shape)));
  }
  if (const float* in_place = file_->FloatData(info)) return in_place;
  if (info.dtype != DType::kF32 && info.dtype != DType::kF16 && info.dtype != DType::kBF16 &&
      info.dtype != DType::kF64) {
    throw ModelError(fmt::format("'{}': tensor '{}' has dtype {}, expected F32, F16 or BF16",
                                 file_->path().string(), name, DTypeName(info.dtype)));
  }
  converted_.push_back(file_->ReadFloats(info));
  converted_bytes_ += converted_.back().size() * sizeof(float);
  return converted_.back().data();
}

float WeightStore::Scalar(const std::string& name) {
  const TensorInfo& info = Find(name);
  if (info.element_count() != 1 || info.shape.size() > 1) {
    throw ModelError(fmt::format("'{}': tensor '{}' has shape {}, expected a scalar",
                                 file_->path().string(), name, FormatShape(info.shape)));
  }
  return file_->ReadFloats(info)[0];
}

LinearWeights WeightStore::Linear(const std::string& prefix, int out_features, int in_features,
                                  bool with_bias) {
  LinearWeights weights;
  weights.weight = Get(prefix + ".weight", {out_features, in_features});
  if (with_bias) weights.bias = Get(prefix + ".bias", {out_features});
  weights.out_features = out_features;
  weights.in_features = in_features;
  return weights;
}

LinearLayer WeightStore::PackLinear(std::span<const LinearWeights> segments) {
  LinearLayer layer(segments);
  if (layer.packed() != nullptr) {
    packed_bytes_ += layer.packed()->bytes();
    for (const LinearWeights& segment : segments) {
      Release(segment.weight, static_cast<size_t>(segment.out_features) * segment.in_features);
    }
  }
  return layer;
}

void WeightStore::Release(const float* data, size_t count) {
  for (std::vector<float>& copy : converted_) {
    if (copy.data() == data) {
      converted_bytes_ -= copy.size() * sizeof(float);
      std::vector<float>().swap(copy);
      return;
    }
  }
  file_->ReleasePages(data, count * sizeof(float));
}

LayerNormWeights WeightStore::LayerNorm(const std::string& prefix, int width) {
  return {Get(prefix + ".weight", {width}), Get(prefix + ".bias", {width})};
}

size_t WeightStore::CountUnused() const {
  std::set<std::string> used(used_.begin(), used_.end());
  return static_cast<size_t>(
      std::count_if(file_->tensors().begin(), file_->tensors().end(),
                    [&](const TensorInfo& info) { return !used.contains(info.name); }));
}

}  // namespace msearch::inference
