#pragma once

#include "common/error.h"

namespace msearch::inference {

// A model folder, checkpoint or input that the engine cannot use: a missing or
// malformed file, a tensor with the wrong shape, an unsupported architecture,
// token ids outside the vocabulary. The message names the file, tensor or value.
class ModelError : public Error {
 public:
  using Error::Error;
};

}  // namespace msearch::inference
