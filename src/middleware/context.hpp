#pragma once
// What a middleware may know while it handles a message: the request (RequestContext), the
// client session behind it (Session, a narrow interface the proxy implements), and, on the
// reverse path, where a server's message comes from (ReverseContext). Nothing here names a
// proxy type: a middleware is written against this file and service.hpp only.

#include "mcp/methods.hpp"
#include "mcp/trace_context.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mcproxy::middleware {

namespace json = boost::json;

// What a name is: a tool or prompt name, or a resource URI (or URI template).
enum class NameKind { tool, prompt, resource };

// One client session as a middleware sees it.
class Session {
 public:
  virtual ~Session() = default;

  virtual const std::string& id() const noexcept = 0;
  // A short form of the id for logs.
  virtual std::string label() const = 0;
  // Who the client is (an authenticated identity); empty when the proxy runs without auth.
  virtual const std::string& identity() const noexcept = 0;
  // The profile this session sees the catalogue through (its identity's, or that of the
  // virtual endpoint it came in on); empty when no profile applies.
  virtual const std::string& profile() const noexcept = 0;
  // The protocol revision negotiated with this client ("2025-11-25").
  virtual const std::string& protocol_version() const noexcept = 0;
  virtual bool closed() const noexcept = 0;
  // The client's language preferences, an Accept-Language value ("es-ES,es;q=0.9"): the header
  // of the request that created the session, or initialize's _meta["mcproxy/language"]; empty
  // when it gave none.
  virtual const std::string& languages() const noexcept = 0;
  // Sends a notification to this client alone (on its standalone stream), e.g. a
  // notifications/tools/list_changed when only its view changed.
  virtual void notify(std::string_view method, json::object params) = 0;
  // Which configured server a tool or prompt of this session's catalogue comes from, by the
  // name the client sees (for a resource: the URI or URI template it sees, resolved by its
  // namespace, the resource lists and the templates); empty when it is not in the catalogue.
  virtual std::string server_of(NameKind kind, std::string_view name) const = 0;

  // A slot of per-session state for a middleware instance shared by all sessions (key: the
  // instance, so two instances of one type never share). Created empty on first use, freed
  // with the session.
  template <class T>
  T& state(const void* key) {
    auto& slot = state_slots_[key];
    if (!slot) slot = std::make_shared<T>();
    return *static_cast<T*>(slot.get());
  }

 private:
  std::unordered_map<const void*, std::shared_ptr<void>> state_slots_;
};

// One request on its way through a chain: who asked, the client's own id and progress token,
// the correlation id every log line of it carries, and its W3C trace context (the client's
// trace continued with the proxy's own span, or a new trace). The proxy's own requests (refreshing a
// backend's lists, health pings) have no session. Cancellation is not a field: the request's
// coroutine is cancelled (Asio per-operation cancellation), which reaches every co_await on
// the way, a middleware's own I/O included.
struct RequestContext {
  virtual ~RequestContext() = default;

  std::shared_ptr<Session> session;   // null for the proxy's own requests
  json::value id;                     // the client's request id
  std::uint64_t correlation_id = 0;
  mcp::TraceContext trace;            // empty for the proxy's own requests
  json::value progress_token;         // the client's; null when it asked for none
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  bool internal() const noexcept { return !session; }
};

// Where a message on the reverse path (server -> client) comes from and whom it is for.
struct ReverseContext {
  std::string_view server;            // the configured name of the backend that sent it
  std::shared_ptr<Session> session;   // the client it was attributed to; null when not (yet)
};

}  // namespace mcproxy::middleware
