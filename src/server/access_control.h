#pragma once

#include <optional>
#include <string_view>

#include <httplib.h>

#include "config/config.h"
#include "server/api_error.h"

namespace msearch::server {

// Compares in time that depends only on the length of `expected`, so a
// client cannot find the token byte by byte from response times.
bool ConstantTimeEquals(std::string_view given, std::string_view expected);

// True when api.token is empty or the request carries it as a bearer token.
bool HasValidToken(const httplib::Request& request, const config::ApiConfig& config);

// Decides whether `request` may reach its route and returns the rejection
// otherwise. /health is always allowed, and reports only its status to a
// client without the token.
//
// With api.token set, the request must carry "Authorization: Bearer <token>"
// (401 otherwise). Without a token the server trusts local clients, so it
// rejects with 403 what a web page in the user's browser could send: a Host
// header other than a loopback name or api.host (DNS rebinding), and an
// Origin header from another site (cross-site form posts, which browsers
// send without asking the server first).
std::optional<ApiError> CheckAccess(const httplib::Request& request,
                                    const config::ApiConfig& config);

}  // namespace msearch::server
