#pragma once

#include <string>

#include "inference/activation.h"
#include "inference/linear.h"
#include "inference/thread_pool.h"
#include "inference/weight_store.h"

namespace msearch::inference {

// ClapProjectionLayer: linear2(activation(linear1(x))), both with bias.
class ClapProjection {
 public:
  ClapProjection() = default;
  // Loads `prefix`.linear1 [projection_dim, in_features] and `prefix`.linear2
  // [projection_dim, projection_dim]. Throws ModelError on a mismatch.
  ClapProjection(WeightStore& weights, const std::string& prefix, int in_features,
                 int projection_dim, Activation activation);

  // output [rows, projection_dim] from input [rows, in_features].
  void Apply(ThreadPool& pool, const float* input, int rows, float* output) const;

  int projection_dim() const { return linear2_.out_features; }

 private:
  LinearWeights linear1_;
  LinearWeights linear2_;
  Activation activation_ = Activation::kRelu;
};

}  // namespace msearch::inference
