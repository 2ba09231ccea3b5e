#pragma once

#include <string>

#include <vips/vips8>

namespace msearch::media {

// Returns the libvips error text of `error` on one line ("VipsJpeg: Premature
// end of input file") and clears the libvips error buffer, which VError
// leaves filled.
// NOTE: libvips 8.14 keeps one error buffer for the whole process, so when
// several threads fail at the same moment a message may include text from
// another thread's failure.
std::string TakeVipsErrorText(const vips::VError& error);

// Clears the libvips error buffer before an operation. libvips also adds
// messages there for failures it recovers from (a HEIF loader's "bad seek"),
// and without this a later VError would repeat them.
void ClearStaleVipsErrors();

}  // namespace msearch::media
