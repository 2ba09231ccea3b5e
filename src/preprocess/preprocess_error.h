#pragma once

#include "common/error.h"

namespace msearch::preprocess {

// An image that cannot be prepared for a model (unreadable, corrupt, too
// large, of an unsupported pixel layout) or a malformed
// preprocessor_config.json. The message names the file and the problem.
class PreprocessError : public msearch::Error {
 public:
  using msearch::Error::Error;
};

}  // namespace msearch::preprocess
