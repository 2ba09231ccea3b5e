#pragma once

#include "common/error.h"

namespace msearch::media {

// A media file that cannot be probed or thumbnailed: missing, empty, of an
// unsupported format, truncated or corrupt. The message names the file and
// the problem, so callers can log it and continue with the next file.
class MediaError : public msearch::Error {
 public:
  using msearch::Error::Error;
};

}  // namespace msearch::media
