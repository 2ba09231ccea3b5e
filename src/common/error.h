#pragma once

#include <stdexcept>
#include <string>

namespace msearch {

// Base class of the exceptions msearch throws for conditions a caller can
// report and recover from: invalid configuration, a database that cannot be
// opened, a malformed message. Programming errors use assertions instead.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace msearch
