#include "proxy/origin_policy.hpp"

#include "proxy/http_replies.hpp"

#include <boost/asio/ip/address.hpp>

#include <string>

namespace mcproxy::proxy {

namespace asio = boost::asio;

namespace {

// "localhost:8080" -> "localhost", "[::1]:80" -> "::1".
std::string_view strip_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(1, close - 1);
  }
  auto colon = host.find(':');
  if (colon != std::string_view::npos && host.find(':', colon + 1) == std::string_view::npos)
    return host.substr(0, colon);
  return host;
}

bool is_loopback_name(std::string_view host) {
  std::string h = ascii_lower(host);
  if (h == "localhost" || h.ends_with(".localhost")) return true;
  boost::system::error_code err;
  auto address = asio::ip::make_address(h, err);
  return !err && address.is_loopback();
}

}  // namespace

OriginPolicy::OriginPolicy(const config::HttpServerConfig& http)
    : allowed_hosts_(http.allowed_hosts), allowed_origins_(http.allowed_origins) {
  boost::system::error_code err;
  auto& host = http.host;
  auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, err);
  loopback_only_ = !err && address.is_loopback();
}

bool OriginPolicy::host_allowed(std::string_view host) const {
  for (auto& allowed : allowed_hosts_)
    if (ascii_lower(allowed) == ascii_lower(host) || ascii_lower(allowed) == ascii_lower(strip_port(host))) return true;
  // Bound to loopback, only loopback names may reach us (DNS rebinding defence). When bound to
  // another address, the operator decides with allowedHosts; without it any Host is served.
  if (!loopback_only_) return allowed_hosts_.empty();
  return !host.empty() && is_loopback_name(strip_port(host));
}

bool OriginPolicy::origin_allowed(std::string_view origin) const {
  for (auto& allowed : allowed_origins_)
    if (allowed == "*" || ascii_lower(allowed) == ascii_lower(origin)) return true;
  // Otherwise only pages served from this machine's loopback names.
  auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return false;
  auto scheme = ascii_lower(origin.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return false;
  auto rest = origin.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('/'));
  return is_loopback_name(strip_port(rest));
}

}  // namespace mcproxy::proxy
