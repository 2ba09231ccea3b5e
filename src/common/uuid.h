#pragma once

#include <string>

namespace msearch {

// Returns a random (version 4) UUID in its 36-character text form.
std::string NewUuid();

}  // namespace msearch
