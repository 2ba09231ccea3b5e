#pragma once

#include "common/error.h"

namespace msearch::tokenizer {

// A tokenizer that cannot be loaded: a missing, unreadable or malformed
// vocabulary or configuration file, or a configuration this code does not
// support. The message names the file and the problem.
class TokenizerError : public msearch::Error {
 public:
  using msearch::Error::Error;
};

}  // namespace msearch::tokenizer
