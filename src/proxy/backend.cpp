#include "proxy/backend.hpp"

#include "mcp/protocol.hpp"
#include "middleware/plan.hpp"
#include "proxy/relay.hpp"
#include "transport/stdio_child.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using mcp::McpError;

std::string_view to_string(BackendState s) noexcept {
  switch (s) {
    case BackendState::starting: return "starting";
    case BackendState::up: return "up";
    case BackendState::down: return "down";
    case BackendState::failed: return "failed";
    case BackendState::disabled: return "disabled";
  }
  return "?";
}

std::string_view list_method(ListKind k) noexcept {
  switch (k) {
    case ListKind::tools: return "tools/list";
    case ListKind::prompts: return "prompts/list";
    case ListKind::resources: return "resources/list";
    case ListKind::templates: return "resources/templates/list";
  }
  return "";
}

std::string_view list_key(ListKind k) noexcept {
  switch (k) {
    case ListKind::tools: return "tools";
    case ListKind::prompts: return "prompts";
    case ListKind::resources: return "resources";
    case ListKind::templates: return "resourceTemplates";
  }
  return "";
}

std::string_view list_capability(ListKind k) noexcept {
  switch (k) {
    case ListKind::tools: return "tools";
    case ListKind::prompts: return "prompts";
    case ListKind::resources:
    case ListKind::templates: return "resources";
  }
  return "";
}

namespace {
const json::array kEmptyArray;
}

class Backend::Upstream final : public middleware::Service {
 public:
  explicit Upstream(Backend& backend) : backend_(backend) {}
  awaitable<json::value> request(std::string method, json::object params, RequestContext* ctx) override {
    return backend_.send_upstream(std::move(method), std::move(params), ctx);
  }
  void notify(std::string method, json::object params) override {
    if (backend_.up() && backend_.peer_) backend_.peer_->notify(method, std::move(params));
  }

 private:
  Backend& backend_;
};

Backend::Backend(asio::any_io_executor executor, config::ServerConfig config, Relay* relay,
                 json::object client_capabilities,
                 const std::vector<middleware::Maker>& client_middleware,
                 std::weak_ptr<DownstreamSession> owner)
    : executor_(executor),
      config_(std::move(config)),
      relay_(relay),
      client_capabilities_(std::move(client_capabilities)),
      owner_(std::move(owner)) {
  chain_ = middleware::build_chain(client_middleware, middleware::Site{config_.name},
                                   std::make_shared<Upstream>(*this), &layers_);
}

int Backend::remove_subscriber(const std::string& uri) {
  auto it = subscribers_.find(uri);
  if (it == subscribers_.end()) return 0;
  if (--it->second > 0) return it->second;
  subscribers_.erase(it);
  return 0;
}

bool Backend::is_final_name(std::string_view name) const {
  for (auto& layer : layers_)
    if (layer->is_final_name(name)) return true;
  return false;
}

void Backend::catalogue_changed(std::initializer_list<ListKind> kinds) {
  ++generation_;
  if (relay_) relay_->on_catalogue_changed(*this, kinds);
}

Backend::~Backend() = default;

void Backend::set_state(BackendState state, std::string error) {
  state_ = state;
  state_since_ = std::chrono::system_clock::now();
  if (!error.empty()) last_error_ = std::move(error);
}

awaitable<void> Backend::start() {
  if (config_.disabled) {
    set_state(BackendState::disabled, "disabled in the configuration");
    co_return;
  }
  if (config_.transport != config::ServerTransport::stdio) {
    set_state(BackendState::disabled,
              fmt::format("remote servers (\"url\", transport {}) are not supported by this "
                          "version of MCProxy yet; only \"command\" (stdio) servers are",
                          config::to_string(config_.transport)));
    spdlog::warn("[{}] {}", name(), last_error_);
    co_return;
  }
  set_state(BackendState::starting);
  transport::StdioChildOptions options;
  options.name = config_.name;
  options.command = config_.command;
  options.args = config_.args;
  options.env = config_.env;
  options.cwd = config_.cwd;
  options.max_message_bytes = config_.max_message_bytes;
  auto child = std::make_shared<transport::StdioChild>(executor_, std::move(options));
  transport_ = child;
  peer_ = std::make_shared<mcp::RpcPeer>(executor_, *transport_, config_.name);
  peer_->attach();
  std::weak_ptr<Backend> weak = weak_from_this();
  peer_->on_notification = [weak](mcp::Message m) {
    if (auto self = weak.lock()) self->on_notification(std::move(m));
  };
  peer_->on_request = [weak](mcp::Message m) -> awaitable<json::value> {
    auto self = weak.lock();
    if (!self) throw McpError(mcp::error_code::kInternalError, "proxy is shutting down");
    co_return co_await self->on_server_request(std::move(m));
  };
  transport_->on_closed = [weak](std::string reason) {
    if (auto self = weak.lock()) self->on_closed(std::move(reason));
  };

  auto started = std::chrono::steady_clock::now();
  try {
    co_await transport_->start();
    json::object params{
        {"protocolVersion", mcp::kLatestProtocolVersion},
        {"capabilities", client_capabilities_},
        {"clientInfo", json::object{{"name", "mcproxy"}, {"version", MCPROXY_VERSION}}}};
    json::value result =
        co_await peer_->request("initialize", std::move(params), config_.startup_timeout);
    if (!result.is_object()) throw std::runtime_error("initialize returned a non-object result");
    auto& r = result.get_object();
    auto* version = r.if_contains("protocolVersion");
    if (!version || !version->is_string() ||
        !mcp::is_supported_protocol_version(version->get_string())) {
      throw std::runtime_error(fmt::format(
          "it answered initialize with protocol version {}, which MCProxy does not speak",
          version ? json::serialize(*version) : "(none)"));
    }
    protocol_version_ = version->get_string();
    if (auto* c = r.if_contains("capabilities"); c && c->is_object()) capabilities_ = c->get_object();
    if (auto* s = r.if_contains("serverInfo"); s && s->is_object()) server_info_ = s->get_object();
    if (auto* i = r.if_contains("instructions"); i && i->is_string()) instructions_ = i->get_string();
    peer_->notify("notifications/initialized");
    set_state(BackendState::up);
    co_await load_lists();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    spdlog::info("[{}] up in {} ms (pid {}, protocol {}): {} tools, {} prompts, {} resources, {} "
                 "templates",
                 name(), ms.count(), transport_->pid(), protocol_version_, list(ListKind::tools).size(),
                 list(ListKind::prompts).size(), list(ListKind::resources).size(),
                 list(ListKind::templates).size());
  } catch (const std::exception& e) {
    std::string reason = e.what();
    if (state_ == BackendState::starting || state_ == BackendState::up) {
      set_state(BackendState::failed, reason);
    }
    spdlog::error("[{}] failed to start: {}", name(), last_error_);
  }
  if (state_ == BackendState::failed && transport_) co_await transport_->shutdown();
  catalogue_changed({ListKind::tools, ListKind::prompts, ListKind::resources});
}

awaitable<void> Backend::stop() {
  if (peer_) peer_->close("the proxy is shutting down");
  if (transport_) co_await transport_->shutdown();
  if (state_ == BackendState::up || state_ == BackendState::starting)
    set_state(BackendState::down, "stopped");
}

void Backend::on_closed(std::string reason) {
  if (peer_) peer_->close(reason);
  if (state_ == BackendState::up) {
    set_state(BackendState::down, reason);
    spdlog::error("[{}] went down: {}; its tools, prompts and resources are withdrawn", name(),
                  reason);
    lists_ = {};
    catalogue_changed({ListKind::tools, ListKind::prompts, ListKind::resources});
  } else if (state_ == BackendState::starting) {
    last_error_ = reason;
  }
}

awaitable<json::value> Backend::request(std::string_view method, json::object params,
                                        RequestContext* ctx) {
  auto self = shared_from_this();
  co_return co_await chain_->request(std::string(method), std::move(params), ctx);
}

awaitable<json::value> Backend::send_upstream(std::string method, json::object params,
                                              RequestContext* ctx) {
  if (state_ != BackendState::up || !peer_) {
    throw McpError(mcp::error_code::kBackendUnavailable,
                   fmt::format("backend '{}' is {}{}{}", name(), to_string(state_),
                               last_error_.empty() ? "" : ": ", last_error_),
                   json::object{{"backend", name()}});
  }
  if (!ctx) co_return co_await peer_->request(method, std::move(params), config_.request_timeout);

  in_flight_.push_back(ctx);
  std::int64_t token = 0;
  if (!ctx->progress_token.is_null() && relay_) {
    token = relay_->register_progress(*ctx);
    if (auto* meta = params.if_contains("_meta"); meta && meta->is_object())
      meta->get_object()["progressToken"] = token;
  }
  struct Cleanup {
    Backend* self;
    RequestContext* ctx;
    std::int64_t token;
    ~Cleanup() {
      std::erase(self->in_flight_, ctx);
      if (token && self->relay_) self->relay_->unregister_progress(token);
    }
  } cleanup{this, ctx, token};
  co_return co_await peer_->request(method, std::move(params), config_.request_timeout,
                                    &ctx->cancellation);
}

void Backend::notify(std::string_view method, json::object params) {
  chain_->notify(std::string(method), std::move(params));
}

bool Backend::lists_loaded() const noexcept {
  for (auto kind : kAllListKinds)
    if (has_capability(list_capability(kind)) && !lists_[static_cast<int>(kind)]) return false;
  return true;
}

const json::array& Backend::list(ListKind kind) const noexcept {
  auto& l = lists_[static_cast<int>(kind)];
  return l ? *l : kEmptyArray;
}

awaitable<void> Backend::load_lists() {
  for (auto kind : kAllListKinds) {
    auto& slot = lists_[static_cast<int>(kind)];
    if (slot || !up() || !has_capability(list_capability(kind))) continue;
    json::array items;
    json::value cursor;
    try {
      for (int page = 0; page < 10'000; ++page) {
        json::object params;
        if (cursor.is_string()) params["cursor"] = cursor;
        json::value result = co_await request(list_method(kind), std::move(params));
        if (!result.is_object()) break;
        auto& obj = result.get_object();
        if (auto* arr = obj.if_contains(list_key(kind)); arr && arr->is_array()) {
          for (auto& item : arr->get_array())
            if (item.is_object()) items.push_back(std::move(item));
        }
        auto* next = obj.if_contains("nextCursor");
        if (!next || !next->is_string() || next->get_string().empty()) break;
        cursor = *next;
      }
    } catch (const McpError& e) {
      spdlog::warn("[{}] {} failed: {}", name(), list_method(kind), e.what());
    }
    if (up()) slot = std::move(items);
  }
}

void Backend::on_notification(mcp::Message message) {
  std::string method(message.method());
  // Reverse path through the middleware, innermost first; any of them may drop it.
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it)
    if (!(*it)->on_server_notification(method, message.mutable_params())) return;
  auto invalidate = [&](std::initializer_list<ListKind> kinds) {
    for (auto k : kinds) lists_[static_cast<int>(k)].reset();
    spdlog::info("[{}] {}: the catalogue will be refreshed", name(), method);
    catalogue_changed(kinds);
  };
  if (method == "notifications/tools/list_changed") {
    invalidate({ListKind::tools});
  } else if (method == "notifications/prompts/list_changed") {
    invalidate({ListKind::prompts});
  } else if (method == "notifications/resources/list_changed") {
    invalidate({ListKind::resources, ListKind::templates});
  } else {
    if (method == "notifications/message") {
      auto& p = message.params();
      auto* level = p.if_contains("level");
      spdlog::debug("[{}] log ({}): {:.500}", name(),
                    level && level->is_string() ? std::string_view(level->get_string()) : "info",
                    p.contains("data") ? json::serialize(p.at("data")) : "");
    }
    if (relay_) relay_->on_backend_notification(*this, std::move(message));
  }
}

awaitable<json::value> Backend::on_server_request(mcp::Message message) {
  if (!relay_) throw McpError(mcp::error_code::kMethodNotFound, "Method not found");
  auto self = shared_from_this();
  co_return co_await relay_->on_backend_request(*this, std::move(message));
}

json::object Backend::health() const {
  json::object h;
  h["name"] = name();
  h["state"] = to_string(state_);
  h["transport"] = config::to_string(config_.transport);
  if (config_.transport == config::ServerTransport::stdio) {
    h["command"] = config_.command;  // never the env: it may hold secrets
    if (transport_ && transport_->pid() > 0) h["pid"] = transport_->pid();
  } else {
    h["url"] = config_.url;
  }
  h["since"] = fmt::format("{:%FT%T}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(state_since_)));
  if (!protocol_version_.empty()) h["protocolVersion"] = protocol_version_;
  if (!server_info_.empty()) h["serverInfo"] = server_info_;
  for (auto kind : kAllListKinds) {
    if (has_capability(list_capability(kind))) h[list_key(kind)] = list(kind).size();
  }
  h["inFlight"] = peer_ ? peer_->in_flight() : 0;
  h["lastError"] = last_error_.empty() ? json::value(nullptr) : json::value(last_error_);
  return h;
}

}  // namespace mcproxy::proxy
