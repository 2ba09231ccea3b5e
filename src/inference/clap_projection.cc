#include "inference/clap_projection.h"

#include <vector>

namespace msearch::inference {

ClapProjection::ClapProjection(WeightStore& weights, const std::string& prefix, int in_features,
                               int projection_dim, Activation activation)
    : linear1_(weights.Linear(prefix + ".linear1", projection_dim, in_features)),
      linear2_(weights.Linear(prefix + ".linear2", projection_dim, projection_dim)),
      activation_(activation) {}

void ClapProjection::Apply(ThreadPool& pool, const float* input, int rows, float* output) const {
  const int width = linear1_.out_features;
  std::vector<float> hidden(static_cast<size_t>(rows) * width);
  LinearOptions activated;
  activated.activation = activation_;
  Linear(pool, input, rows, linear1_.in_features, linear1_, hidden.data(), width, activated);
  Linear(pool, hidden.data(), rows, width, linear2_, output, linear2_.out_features);
}

}  // namespace msearch::inference
