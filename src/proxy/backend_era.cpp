// How a backend's session begins, in either era of the protocol (MCP-DIGEST §9): the stateless
// probe (server/discover with the 2026-07-28 envelope) and, when the server is not of that era,
// the initialize handshake; then, for a modern backend, the envelope every request carries.
#include "proxy/backend.hpp"

#include "mcp/error.hpp"
#include "mcp/protocol.hpp"
#include "proxy/downstream_session.hpp"
#include "proxy/relay.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace mcproxy::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using mcp::McpError;

namespace {

// On stdio a legacy server may say nothing to a request before initialize: this long at most.
constexpr std::chrono::milliseconds kStdioProbeTimeout{5000};

json::object client_info() { return json::object{{"name", "mcproxy"}, {"version", MCPROXY_VERSION}}; }

// The newest revision of the stateless era both sides speak, or empty.
std::string mutual_modern_version(const json::object& discovered) {
  auto* versions = discovered.if_contains("supportedVersions");
  if (!versions || !versions->is_array()) return {};
  for (auto ours : mcp::kModernProtocolVersions)
    for (auto& v : versions->get_array())
      if (v.is_string() && v.get_string() == ours) return std::string(ours);
  return {};
}

}  // namespace

json::object Backend::modern_envelope(const ProxyRequest* ctx) const {
  // The capabilities of the client behind the request: what it can answer of an input_required
  // result (a stateless client itself; an initialize-era one through answer_input_required).
  // The proxy's own requests can answer nothing.
  const DownstreamSession* session = ctx ? ctx->downstream() : nullptr;
  json::object capabilities;
  if (session) {
    for (auto name : {"sampling", "elicitation", "roots"})
      if (auto* c = session->client_capabilities().if_contains(name)) capabilities[name] = *c;
    if (session->stateless()) capabilities = session->client_capabilities();
  }
  json::object envelope{{mcp::kMetaProtocolVersion, protocol_version_.empty() ? mcp::kModernProtocolVersions.front()
                                                                              : std::string_view(protocol_version_)},
                        {mcp::kMetaClientCapabilities, std::move(capabilities)},
                        {mcp::kMetaClientInfo, client_info()}};
  // Log messages only for a client that asked for them, at its own level.
  if (session && !session->log_level.empty()) envelope[mcp::kMetaLogLevel] = session->log_level;
  return envelope;
}

awaitable<Backend::Probe> Backend::probe_era() {
  json::object params{{"_meta", modern_envelope(nullptr)}};
  bool forced = config_.era == config::ServerEra::modern;
  auto timeout = config_.startup_timeout;
  if (config_.transport == config::ServerTransport::stdio && !forced)
    timeout = std::min(timeout, kStdioProbeTimeout);
  std::string failure;
  int code = 0;
  json::value result;
  try {
    result = co_await peer_->request("server/discover", std::move(params), timeout, nullptr, "startupTimeoutMs");
  } catch (const McpError& e) {
    failure = e.what();
    code = e.code();
  }
  if (!failure.empty() && peer_->closed()) {
    if (forced) throw std::runtime_error(fmt::format("it closed the connection on server/discover: {}", failure));
    co_return Probe::closed;
  }
  std::string version;
  if (failure.empty() && result.is_object()) version = mutual_modern_version(result.get_object());
  if (version.empty()) {
    std::string why = !failure.empty() ? fmt::format("server/discover failed: {} ({})", failure, code)
                                       : "its server/discover answer names no 2026-07-28 revision";
    if (forced)
      throw std::runtime_error(fmt::format("{}; \"protocol\" is \"2026-07-28\" in the config (use \"auto\" to fall "
                                           "back to initialize)",
                                           why));
    spdlog::debug("[{}] not of the stateless era ({}): initialize", name(), why);
    co_return Probe::legacy;
  }
  auto& r = result.get_object();
  protocol_version_ = version;
  capabilities_ = {};
  if (auto* c = r.if_contains("capabilities"); c && c->is_object()) capabilities_ = c->get_object();
  server_info_ = {};
  if (auto* meta = r.if_contains("_meta"); meta && meta->is_object())
    if (auto* info = meta->get_object().if_contains(mcp::kMetaServerInfo); info && info->is_object())
      server_info_ = info->get_object();
  instructions_.clear();
  if (auto* i = r.if_contains("instructions"); i && i->is_string()) instructions_ = i->get_string();
  co_return Probe::modern;
}

awaitable<void> Backend::initialize_upstream() {
  json::object params{{"protocolVersion", mcp::kLatestProtocolVersion},
                      {"capabilities", client_capabilities_},
                      {"clientInfo", client_info()}};
  json::value result =
      co_await peer_->request("initialize", std::move(params), config_.startup_timeout, nullptr, "startupTimeoutMs");
  if (!result.is_object()) throw std::runtime_error("initialize returned a non-object result");
  auto& r = result.get_object();
  auto* version = r.if_contains("protocolVersion");
  if (!version || !version->is_string() || !mcp::is_supported_protocol_version(version->get_string())) {
    throw std::runtime_error(fmt::format("it answered initialize with protocol version {}, which MCProxy does not speak",
                                         version ? json::serialize(*version) : "(none)"));
  }
  protocol_version_ = version->get_string();
  capabilities_ = {};
  if (auto* c = r.if_contains("capabilities"); c && c->is_object()) capabilities_ = c->get_object();
  if (auto* sv = r.if_contains("serverInfo"); sv && sv->is_object()) server_info_ = sv->get_object();
  if (auto* i = r.if_contains("instructions"); i && i->is_string()) instructions_ = i->get_string();
  transport_->negotiated(protocol_version_);
  peer_->notify("notifications/initialized");
}

std::optional<json::value> Backend::prepare_modern(const std::string& method, json::object& params,
                                                   const ProxyRequest* ctx) {
  auto id = mcp::find_method(method);
  if (id == mcp::Method::logging_set_level) return json::value(json::object{});  // in each envelope instead
  if (id == mcp::Method::resources_subscribe || id == mcp::Method::resources_unsubscribe) {
    // This era follows resources on the listen stream: the proxy's one to this server is opened
    // again with the URIs its clients follow (the Aggregator counts them: this comes for the
    // first subscriber of a URI and after the last).
    auto* resources = capabilities_.if_contains("resources");
    auto* subscribe = resources && resources->is_object() ? resources->get_object().if_contains("subscribe") : nullptr;
    if (!subscribe || !subscribe->is_bool() || !subscribe->get_bool())
      throw McpError(mcp::error_code::kMethodNotFound,
                     fmt::format("'{}' does not offer resource subscriptions", name()));
    auto* uri = params.if_contains("uri");
    if (!uri || !uri->is_string()) throw McpError(mcp::error_code::kInvalidParams, "Invalid params: no \"uri\"");
    if (id == mcp::Method::resources_subscribe) listened_uris_.insert(std::string(uri->get_string()));
    else listened_uris_.erase(std::string(uri->get_string()));
    if (listen_cancel_) listen_cancel_->cancel();  // the loop listens again at once, with the new set
    return json::value(json::object{});
  }
  if (id != mcp::Method::unknown && !mcp::exists_in(id, protocol_version_)) {
    throw McpError(mcp::error_code::kMethodNotFound,
                   fmt::format("'{}' speaks protocol {}, which has no {}", name(), protocol_version_, method));
  }
  auto& meta = params["_meta"];
  if (!meta.is_object()) meta = json::object{};
  for (auto& [key, value] : modern_envelope(ctx)) meta.get_object()[key] = value;
  return std::nullopt;
}

std::vector<mcp::ParamHeader> Backend::param_headers_of(std::string_view tool, const json::object& arguments) const {
  for (auto& t : list(ListKind::tools)) {
    auto* o = t.if_object();
    auto* n = o ? o->if_contains("name") : nullptr;
    if (!n || !n->is_string() || n->get_string() != tool) continue;
    auto* schema = o->if_contains("inputSchema");
    if (!schema || !schema->is_object()) return {};
    return mcp::param_headers(schema->get_object(), arguments);
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> Backend::upstream_param_headers(const json::object& params,
                                                                                 const ProxyRequest* ctx) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto* name = params.if_contains("name");
  auto* arguments = params.if_contains("arguments");
  if (name && name->is_string() && arguments && arguments->is_object())
    for (auto& h : param_headers_of(name->get_string(), arguments->get_object()))
      out.emplace_back(h.name, mcp::encode_header_value(h.value));
  // Intermediaries forward the Mcp-Param-* headers they do not recognize (SEP-2243).
  const DownstreamSession* session = ctx ? ctx->downstream() : nullptr;
  if (session)
    for (auto& h : session->param_headers) {
      bool mirrored = std::any_of(out.begin(), out.end(), [&](auto& o) {
        return o.first.size() == h.name.size() &&
               std::equal(o.first.begin(), o.first.end(), h.name.begin(),
                          [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); });
      });
      if (!mirrored) out.emplace_back(h.name, h.value);
    }
  return out;
}

void Backend::start_listening() {
  auto self = shared_from_this();
  auto listen = [self, epoch = epoch_]() -> awaitable<void> {
    asio::steady_timer pause(self->executor_);
    auto current = [&] { return !self->stopping_ && self->epoch_ == epoch && self->up() && self->peer_; };
    while (current()) {
      int code = 0;
      std::string failure;
      auto cancel = std::make_shared<mcp::Cancellation>();
      self->listen_cancel_ = cancel;
      try {
        json::object kinds{{"toolsListChanged", true}, {"promptsListChanged", true}, {"resourcesListChanged", true}};
        if (!self->listened_uris_.empty()) {
          json::array uris;
          for (auto& u : self->listened_uris_) uris.emplace_back(u);
          kinds["resourceSubscriptions"] = std::move(uris);
        }
        json::object params{{"notifications", std::move(kinds)}, {"_meta", self->modern_envelope(nullptr)}};
        auto peer = self->peer_;
        co_await peer->request("subscriptions/listen", std::move(params), std::chrono::hours(24), cancel.get(),
                               "subscriptions/listen");
      } catch (const McpError& e) {
        code = e.code();
        failure = e.what();
      } catch (const std::exception& e) {
        failure = e.what();
      }
      if (!current()) break;
      if (cancel->cancelled()) continue;  // the set of followed resources changed
      if (code == mcp::error_code::kMethodNotFound) {
        spdlog::info("[{}] has no subscriptions/listen: its list changes are not followed", self->name());
        break;
      }
      spdlog::debug("[{}] subscriptions/listen ended ({}): listening again", self->name(),
                    failure.empty() ? "answered" : failure);
      pause.expires_after(std::chrono::seconds(5));  // a server that ends it at once is not hammered
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  };
  tasks_.spawn(fmt::format("[{}] subscriptions/listen", name()), std::move(listen));
}

namespace {

// Bounds on what a server may ask of one request: rounds, and input requests per round.
constexpr int kMaxInputRounds = 8;
constexpr std::size_t kMaxInputRequests = 16;

bool input_required(const json::value& result) {
  auto* r = result.if_object();
  auto* type = r ? r->if_contains("resultType") : nullptr;
  return type && type->is_string() && type->get_string() == "input_required";
}

}  // namespace

awaitable<json::value> Backend::answer_input_required(const std::string& method, json::object params,
                                                      json::value result, ProxyRequest& ctx) {
  auto self = shared_from_this();
  for (int round = 1; input_required(result); ++round) {
    if (round > kMaxInputRounds)
      throw McpError(mcp::error_code::kInternalError,
                     fmt::format("'{}' asked for input more than {} times for one {}: MCProxy gave up", name(),
                                 kMaxInputRounds, method));
    auto& r = result.get_object();
    auto* requests = r.if_contains("inputRequests");
    std::size_t count = requests && requests->is_object() ? requests->get_object().size() : 0;
    if (count == 0 || count > kMaxInputRequests)
      throw McpError(mcp::error_code::kInternalError,
                     fmt::format("'{}' answered {} with input_required and {} input requests (1 to {} expected)",
                                 name(), method, count, kMaxInputRequests));
    json::object responses;
    for (auto& [key, request] : requests->get_object()) {
      auto* o = request.if_object();
      auto* m = o ? o->if_contains("method") : nullptr;
      if (!m || !m->is_string())
        throw McpError(mcp::error_code::kInternalError,
                       fmt::format("'{}' sent an input request without a method ('{}')", name(), std::string(key)));
      json::object asked;
      if (auto* p = o->if_contains("params"); p && p->is_object()) asked = p->get_object();
      spdlog::debug("[{}] {} round {}: input '{}' asked of the client as {}", name(), method, round,
                    std::string(key), std::string(m->get_string()));
      // Through this backend's client middleware (innermost first), then the client's own.
      middleware::Call call{std::string(m->get_string()), std::move(asked)};
      ProxyRequest* client = &ctx;
      middleware::ReverseNext to_relay = [self, client](middleware::Call c) {
        return self->relay_->ask_client(*self, *client, std::move(c));
      };
      middleware::ReverseContext from{name(), nullptr};
      json::value answer = co_await chain_->server_request(std::move(call), from, to_relay);
      responses[key] = std::move(answer);
    }
    params["inputResponses"] = std::move(responses);
    if (auto* state = r.if_contains("requestState"); state && state->is_string()) params["requestState"] = *state;
    else params.erase("requestState");
    if (state_ != BackendState::up || !peer_)
      throw McpError(mcp::error_code::kBackendUnavailable,
                     fmt::format("backend '{}' went away while its client answered", name()),
                     json::object{{"backend", name()}});
    auto peer = peer_;
    auto param_headers = method == "tools/call" ? upstream_param_headers(params, &ctx)
                                                : std::vector<std::pair<std::string, std::string>>{};
    result = co_await peer->request(method, params, config_.request_timeout, &ctx.cancellation, "requestTimeoutMs",
                                    std::move(param_headers));
  }
  co_return result;
}

}  // namespace mcproxy::proxy
