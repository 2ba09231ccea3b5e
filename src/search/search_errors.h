#pragma once

#include <string>

#include "common/error.h"

namespace msearch::search {

// A query needs a model that is not installed or cannot be loaded. The REST
// API responds with 503 because the request is valid and works once the
// model is installed.
class ModelUnavailableError : public Error {
 public:
  using Error::Error;
};

// The query input cannot be used: a file that does not decode as the
// expected media, a clip with no usable content, a time range outside the
// file. The REST API responds with 400.
class InvalidQueryError : public Error {
 public:
  using Error::Error;
};

}  // namespace msearch::search
