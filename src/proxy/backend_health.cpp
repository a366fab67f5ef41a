// Backend: its /health view. Secrets never appear: the command and URL are redacted, the env,
// args and headers are never shown.
#include "proxy/backend.hpp"

#include "support/redaction.hpp"
#include "transport/http_transport.hpp"

#include <boost/json.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using mcp::McpError;

json::object Backend::health() const {
  json::object h;
  h["name"] = name();
  h["state"] = state_ == BackendState::up && loading_lists_ ? "starting" : to_string(state_);
  h["transport"] = config::to_string(config_.transport);
  if (config_.transport == config::ServerTransport::stdio) {
    h["command"] = support::redact(config_.command);  // never the env or args: secrets
    if (transport_ && transport_->pid() > 0) h["pid"] = transport_->pid();
  } else {
    h["url"] = support::redact_url(config_.url);  // never the headers: they hold credentials
    if (auto* http = dynamic_cast<transport::HttpTransport*>(transport_.get()); http && up())
      h["detected"] = http->legacy() ? "sse" : "streamable-http";
  }
  h["reconnects"] = reconnects_;
  if (reconnect_pending_)
    h["nextAttempt"] = fmt::format("{:%FT%T}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(next_attempt_)));
  h["since"] = fmt::format("{:%FT%T}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(state_since_)));
  if (!protocol_version_.empty()) h["protocolVersion"] = protocol_version_;
  if (!server_info_.empty()) h["serverInfo"] = server_info_;
  for (auto kind : kAllListKinds) {
    if (has_capability(list_capability(kind))) h[list_key(kind)] = list(kind).size();
  }
  h["inFlight"] = peer_ ? peer_->in_flight() : 0;
  h["lastError"] = last_error_.empty() ? json::value(nullptr) : json::value(support::redact(last_error_));
  return h;
}

}  // namespace mcproxy::proxy
