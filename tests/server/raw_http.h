#pragma once

#include <string>

namespace msearch::server {

// Sends `request` as is to 127.0.0.1:`port` and returns the response received
// until the server closes the connection or `timeout_seconds` pass. It is for
// requests httplib::Client cannot make (no Content-Length, a false one). The
// connection stays open for writing, so the server receives no end of input.
std::string RawHttp(int port, const std::string& request, double timeout_seconds = 30);

// The status code of a raw HTTP response, or 0 when there is none.
int RawStatus(const std::string& response);

}  // namespace msearch::server
