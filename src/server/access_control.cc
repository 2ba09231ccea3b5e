#include "server/access_control.h"

#include <algorithm>
#include <string>

#include <arpa/inet.h>
#include <fmt/format.h>

namespace msearch::server {
namespace {

std::string Lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// The host part of "host", "host:port", "[v6]" or "[v6]:port", lower case.
std::string HostName(std::string_view authority) {
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    return Lower(
        authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1));
  }
  return Lower(authority.substr(0, authority.find(':')));
}

bool IsLoopbackIpv4(const std::string& host) {
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1 && (ntohl(address.s_addr) >> 24) == 127;
}

bool IsAllowedHost(const std::string& host, const config::ApiConfig& config) {
  if (host == "localhost" || host == "[::1]" || IsLoopbackIpv4(host)) return true;
  return host == Lower(config.host);
}

std::optional<ApiError> CheckToken(const httplib::Request& request,
                                   const config::ApiConfig& config) {
  std::string header = request.get_header_value("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size() || Lower(header.substr(0, kScheme.size())) != kScheme) {
    return Unauthorized(
        "missing bearer token: send the header 'Authorization: Bearer <token>' "
        "with the token from api.token");
  }
  std::string_view token = std::string_view(header).substr(kScheme.size());
  if (!ConstantTimeEquals(token, config.token)) {
    return Unauthorized("invalid bearer token: use the token from api.token");
  }
  return std::nullopt;
}

std::optional<ApiError> CheckLocalOrigin(const httplib::Request& request,
                                         const config::ApiConfig& config) {
  std::string host = HostName(request.get_header_value("Host"));
  if (!host.empty() && !IsAllowedHost(host, config)) {
    return Forbidden(
        fmt::format("requests for host '{}' are not served: use localhost or {}, "
                    "or set api.token to accept other names",
                    host, config.host));
  }

  if (!request.has_header("Origin")) return std::nullopt;
  std::string origin = request.get_header_value("Origin");
  size_t scheme_end = origin.find("://");
  std::string origin_host =
      scheme_end == std::string::npos ? "" : HostName(origin.substr(scheme_end + 3));
  if (origin_host.empty() || !IsAllowedHost(origin_host, config)) {
    return Forbidden(fmt::format("cross-site request from origin '{}' rejected", origin));
  }
  return std::nullopt;
}

}  // namespace

bool ConstantTimeEquals(std::string_view given, std::string_view expected) {
  unsigned char difference = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    unsigned char byte = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    difference |= static_cast<unsigned char>(byte ^ static_cast<unsigned char>(expected[i]));
  }
  return difference == 0;
}

bool HasValidToken(const httplib::Request& request, const config::ApiConfig& config) {
  return config.token.empty() || !CheckToken(request, config).has_value();
}

std::optional<ApiError> CheckAccess(const httplib::Request& request,
                                    const config::ApiConfig& config) {
  if (request.path == "/health") return std::nullopt;
  if (!config.token.empty()) return CheckToken(request, config);
  return CheckLocalOrigin(request, config);
}

}  // namespace msearch::server
