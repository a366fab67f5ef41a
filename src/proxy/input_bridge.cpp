#include "proxy/input_bridge.hpp"

#include "mcp/error.hpp"
#include "mcp/methods.hpp"
#include "mcp/protocol.hpp"
#include "proxy/modern_results.hpp"
#include "proxy/session_manager.hpp"
#include "support/digest.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <vector>

namespace mcproxy::proxy {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;

namespace {

// What the state binds a request to besides its method: the tool or prompt, or the resource.
std::string name_of(const json::object& params) {
  for (auto key : {"name", "uri"})
    if (auto* v = params.if_contains(key); v && v->is_string()) return std::string(v->get_string());
  return {};
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string invalid_state(const json::value& id, std::string_view reason) {
  // The spec's wording for a refused state, with the reason for whoever reads the logs.
  return json::serialize(mcp::make_error(
      id, mcp::McpError(mcp::error_code::kInvalidParams, "Invalid or expired requestState",
                        json::object{{"reason", "invalid_request_state"}, {"detail", reason}})));
}

// The response of the suspended request, under the id of the retry that completes it.
std::string with_id(const std::string& response, const json::value& id) {
  boost::system::error_code ec;
  auto doc = json::parse(response, ec);
  if (ec || !doc.is_object()) return response;
  doc.get_object()["id"] = id;
  return json::serialize(doc);
}

// Carries messages of the suspended request (progress, logs) to whichever exchange of the
// client is waiting on it now, if any.
class ForwardingStream final : public ClientStream {
 public:
  ClientStream* target = nullptr;
  bool send_serialized(std::string message) override { return target && target->send_serialized(std::move(message)); }
};

}  // namespace

struct InputBridge::Suspended {
  explicit Suspended(asio::any_io_executor executor)
      : signal(executor, std::chrono::steady_clock::time_point::max()), expiry(executor) {}
  struct Question {
    std::int64_t id;  // of the session's pending request to its client
    std::string method;
    json::object params;
    bool sent = false;  // went out in an input_required result
  };
  std::string id;  // the suspension's, once suspended
  std::shared_ptr<DownstreamSession> session;
  std::string method;
  std::string name;
  std::vector<Question> questions;  // asked and not answered yet
  ForwardingStream stream;
  asio::steady_timer signal;  // cancelled when a question comes or the request ends
  asio::steady_timer expiry;
  bool done = false;
  bool serving = false;  // an exchange of the client waits on it now
  std::optional<std::string> response;
};

InputBridge::InputBridge(asio::any_io_executor core, SessionManager& sessions, const config::BridgeConfig& config,
                         std::string instance)
    : core_(core),
      sessions_(sessions),
      signer_(config.state_key),
      input_timeout_(config.input_timeout),
      max_waiting_(config.max_waiting),
      instance_(std::move(instance)) {}

InputBridge::~InputBridge() {
  for (auto& [id, s] : waiting_) s->expiry.cancel();
}

awaitable<std::optional<std::string>> InputBridge::serve(std::shared_ptr<DownstreamSession> session,
                                                        mcp::Message message, ClientStream* stream, Run run) {
  auto method = mcp::find_method(message.method());
  bool may_wait = method == mcp::Method::tools_call || method == mcp::Method::prompts_get ||
                  method == mcp::Method::resources_read;
  if (!may_wait || !message.is_request()) co_return co_await run(std::move(session), std::move(message), stream);
  auto* state = message.params().if_contains("requestState");
  if (state && state->is_string() && RequestStateSigner::ours(state->get_string()))
    co_return co_await resume(std::move(session), std::move(message), stream);

  auto s = std::make_shared<Suspended>(core_);
  s->session = session;
  s->method = message.method();
  s->name = name_of(message.params());
  s->stream.target = stream;
  std::weak_ptr<Suspended> weak = s;
  session->input_sink = [weak](std::int64_t id, std::string_view asked, const json::object& params) {
    auto s = weak.lock();
    if (!s) return;
    s->questions.push_back({id, std::string(asked), params});
    s->signal.cancel();
  };
  json::value id = message.id();
  asio::co_spawn(
      core_,
      [s, run, session, m = std::move(message)]() mutable -> awaitable<void> {
        std::optional<std::string> response;
        try {
          response = co_await run(session, std::move(m), &s->stream);
        } catch (const std::exception& e) {
          spdlog::error("session {}: a request of the era bridge failed: {}", session->label(), e.what());
        }
        s->response = std::move(response);
        s->done = true;
        s->signal.cancel();
      },
      asio::detached);
  co_return co_await next_turn(std::move(s), std::move(id));
}

awaitable<std::optional<std::string>> InputBridge::next_turn(std::shared_ptr<Suspended> s, json::value id) {
  const bool resumed = !s->id.empty();
  for (;;) {
    if (s->done) {
      finish(*s);
      if (!s->response || !resumed) co_return std::move(s->response);
      co_return with_id(*s->response, id);
    }
    bool unsent = std::any_of(s->questions.begin(), s->questions.end(), [](auto& q) { return !q.sent; });
    if (unsent) {
      // Questions asked at the same moment (several at once upstream) go out together.
      co_await asio::post(core_, asio::use_awaitable);
      if (s->done) continue;
      // A question the client declared it cannot answer fails its request, as the era says.
      std::string_view missing;
      for (auto& q : s->questions) {
        auto needed = mcp::required_client_capability(q.method);
        if (!q.sent && !needed.empty() && !s->session->has_client_capability(needed)) missing = needed;
      }
      if (!missing.empty()) {
        spdlog::info("session {}: {} {} needs the client's '{}' capability, which it did not declare", s->session->label(),
                     s->method, s->name, missing);
        auto refusal = mcp::make_error(
            id, mcp::McpError(mcp::error_code::kMissingClientCapability,
                              fmt::format("'{}' needs the client capability '{}', which this request did not declare",
                                          s->name.empty() ? s->method : s->name, missing),
                              json::object{{"requiredCapabilities", json::object{{missing, json::object{}}}}}));
        if (!s->id.empty()) waiting_.erase(s->id);
        abandon(*s);  // the upstream request is cancelled with the session
        co_return json::serialize(refusal);
      }
      if (s->id.empty() && waiting_.size() >= max_waiting_) {
        // No room to hold one more: the server's questions fail as they would without the bridge.
        spdlog::warn("session {}: {} requests already wait for their clients' input (bridge.maxWaiting): a "
                     "server's question fails", s->session->label(), waiting_.size());
        for (auto& q : s->questions)
          s->session->deliver_response(mcp::Message(
              mcp::MessageKind::error,
              mcp::make_error(q.id, mcp::error_code::kInternalError,
                              "MCProxy holds as many requests waiting for input as it may (bridge.maxWaiting)")));
        s->questions.clear();
        continue;
      }
      if (s->id.empty()) {
        s->id = hex(support::random_bytes(16));
        waiting_[s->id] = s;
        s->session->held = true;
      }
      json::object requests;
      for (auto& q : s->questions) {
        requests[fmt::format("mcproxy-{}", q.id)] = json::object{{"method", q.method}, {"params", q.params}};
        q.sent = true;
      }
      RequestStateClaims claims;
      claims.suspension = s->id;
      claims.instance = instance_;
      claims.expires_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              (std::chrono::system_clock::now() + input_timeout_).time_since_epoch())
                              .count();
      claims.identity = RequestStateSigner::identity_digest(s->session->identity());
      claims.method = s->method;
      claims.name = s->name;
      json::value result = json::object{{"resultType", "input_required"},
                                        {"inputRequests", std::move(requests)},
                                        {"requestState", signer_.mint(claims)},
                                        {"_meta", json::object{{mcp::kMetaServerInfo, proxy_server_info()}}}};
      spdlog::info("session {}: {} {} waits for the client's input ({} question(s)) [suspension {}]",
                   s->session->label(), s->method, s->name, s->questions.size(), s->id.substr(0, 8));
      s->stream.target = nullptr;
      s->session->awaiting_retry = true;
      arm_expiry(s);
      co_return json::serialize(mcp::make_result(id, std::move(result)));
    }
    co_await s->signal.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

awaitable<std::optional<std::string>> InputBridge::resume(std::shared_ptr<DownstreamSession> session,
                                                         mcp::Message message, ClientStream* stream) {
  const auto& params = message.params();
  auto verdict = signer_.verify(params.at("requestState").get_string(), std::chrono::system_clock::now());
  if (auto* reason = std::get_if<std::string>(&verdict)) co_return invalid_state(message.id(), *reason);
  auto& claims = std::get<RequestStateClaims>(verdict);
  if (claims.instance != instance_)
    co_return invalid_state(message.id(), "the request it belongs to waits on another MCProxy instance");
  auto it = waiting_.find(claims.suspension);
  if (it == waiting_.end())
    co_return invalid_state(message.id(), "the request it belongs to no longer waits (it ended or timed out)");
  auto s = it->second;
  if (claims.identity != RequestStateSigner::identity_digest(session->identity()) ||
      s->session->identity() != session->identity() || claims.method != message.method() ||
      claims.name != name_of(params) || s->method != claims.method)
    co_return invalid_state(message.id(), "it belongs to another request");
  if (s->serving) co_return invalid_state(message.id(), "a retry of that request is already being served");

  // The answers, by the keys they were asked under; a question left unanswered is asked again.
  const json::object* responses = nullptr;
  if (auto* r = params.if_contains("inputResponses"); r && r->is_object()) responses = &r->get_object();
  std::vector<Suspended::Question> open;
  for (auto& q : s->questions) {
    auto* answer = responses ? responses->if_contains(fmt::format("mcproxy-{}", q.id)) : nullptr;
    if (q.sent && answer && answer->is_object()) {
      s->session->deliver_response(mcp::Message(mcp::MessageKind::result, mcp::make_result(q.id, *answer)));
      continue;
    }
    q.sent = false;
    open.push_back(std::move(q));
  }
  s->questions = std::move(open);
  spdlog::debug("session {}: {} {} resumed by the client's retry [suspension {}]", s->session->label(), s->method,
                s->name, s->id.substr(0, 8));
  s->expiry.cancel();
  s->serving = true;
  s->session->awaiting_retry = false;
  s->stream.target = stream;
  struct Serving {
    Suspended& s;
    ~Serving() {
      s.serving = false;
      s.stream.target = nullptr;
    }
  } serving{*s};
  co_return co_await next_turn(s, message.id());
}

void InputBridge::finish(Suspended& s) {
  s.expiry.cancel();
  s.session->awaiting_retry = false;
  s.session->input_sink = nullptr;
  if (s.id.empty()) return;
  waiting_.erase(s.id);
  if (s.session->held) {
    s.session->held = false;
    sessions_.end_stateless(*s.session);
  }
}

void InputBridge::arm_expiry(const std::shared_ptr<Suspended>& s) {
  s->expiry.expires_after(input_timeout_);
  std::weak_ptr<Suspended> weak = s;
  s->expiry.async_wait([this, weak](boost::system::error_code ec) {
    auto s = weak.lock();
    if (ec || !s || s->serving || s->done) return;
    spdlog::info("session {}: {} {} waited {} s for the client's retry: cancelled [suspension {}]",
                 s->session->label(), s->method, s->name, input_timeout_.count() / 1000, s->id.substr(0, 8));
    waiting_.erase(s->id);
    abandon(*s);
  });
}

void InputBridge::abandon(Suspended& s) {
  s.expiry.cancel();
  s.session->awaiting_retry = false;
  s.session->input_sink = nullptr;
  s.session->held = false;
  sessions_.end_stateless(*s.session);  // fails its questions and cancels the request upstream
}

std::size_t InputBridge::abandon_waiting() {
  std::vector<std::shared_ptr<Suspended>> idle;
  for (auto& [id, s] : waiting_)
    if (!s->serving) idle.push_back(s);
  for (auto& s : idle) {
    waiting_.erase(s->id);
    abandon(*s);
  }
  return idle.size();
}

}  // namespace mcproxy::proxy
