#pragma once
// The middleware model (Tower's Service + Layer): a Service answers MCP requests; a Middleware
// is a Service whose next link the pipeline sets (it is private: a middleware cannot rewire
// the chain). Every MCP method flows through request() as a Call (methods added by later
// protocol revisions too, as Method::unknown); the pass-through base dispatches known methods
// to typed hooks by the method table (mcp/methods.hpp), and each hook's default passes the
// call on unchanged, so a middleware overrides call_tool() and never restates a method name.
//
// The reverse path (server -> client) passes through the same layers, innermost first:
// on_server_notification() for notifications, on_server_request() for the requests a server
// sends a client (sampling, elicitation, roots) together with the client's answer. Client
// middleware sees them first, then proxy middleware.
//
// Client middleware wraps one backend (one instance per backend, the backend's own names);
// proxy middleware wraps the merged catalogue (one instance per proxy, or one per client
// session when its Maker asks for it; a shared instance keeps per-session state in
// Session::state). The first middleware configured is the outermost: it sees the request
// first and the result last.

#include "middleware/context.hpp"
#include "mcp/methods.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace mcproxy::middleware {

namespace json = boost::json;

// One MCP message in a chain: the method (from the table, or unknown), its wire name, params.
struct Call {
  mcp::Method method = mcp::Method::unknown;
  std::string name;
  json::object params;

  Call() = default;
  // Looks the method up by name.
  Call(std::string method_name, json::object call_params);
  Call(mcp::Method known, json::object call_params);
};

class Service {
 public:
  virtual ~Service() = default;
  virtual boost::asio::awaitable<json::value> request(Call call, RequestContext& ctx) = 0;
  // A notification toward the server (client -> server), e.g. roots/list_changed.
  virtual void notify(Call call) = 0;
};

// Continues a server->client request toward the client; returns the client's answer.
using ReverseNext = std::function<boost::asio::awaitable<json::value>(Call)>;

class Middleware : public Service {
 public:
  // Dispatches to the typed hooks below; a middleware that treats every method alike (logging)
  // overrides this instead.
  boost::asio::awaitable<json::value> request(Call call, RequestContext& ctx) override;
  void notify(Call call) override { next_->notify(std::move(call)); }

  // Reverse path, a server's notification on its way to a client: may change it; false drops
  // it. `from.session` is set when the notification was attributed to one client.
  virtual bool on_server_notification(Call& notification, const ReverseContext& from) { return true; }
  // A server's request to a client (sampling, elicitation, roots, ping): may change the request,
  // answer it itself, or change the client's answer; the default passes both unchanged.
  virtual boost::asio::awaitable<json::value> on_server_request(Call call, const ReverseContext& from,
                                                               const ReverseNext& next);

  // Whether this layer answers a list request of `kind` (tools/list...) as a function of the
  // answer of the next link and its own configuration alone: not of the session, the client,
  // the time or state it keeps. When every proxy layer says so, MCProxy serves the list from
  // a cache, serialized once per catalogue, protocol version and pipeline (docs/MIDDLEWARE.md);
  // the layer is then not called for that list until the catalogue changes. False by default:
  // a middleware that does not say is always called.
  virtual bool list_is_pure(mcp::ListKind kind) const { return false; }
  // For a pure layer whose answer also depends on the session or the request in a bounded way,
  // or on what it has learnt since (translate: the language it picks and how many of its
  // translations are ready): a short text that differs whenever its answer may. Part of the
  // list-cache key; empty for most layers.
  virtual std::string list_variant(const Session* session, const json::object& params) const { return {}; }

 protected:
  // Typed hooks, one per method of the table; each default calls the next link unchanged.
  virtual boost::asio::awaitable<json::value> list_tools(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> call_tool(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> list_prompts(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> get_prompt(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> list_resources(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> list_resource_templates(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> read_resource(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> subscribe_resource(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> unsubscribe_resource(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> complete(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> set_log_level(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> get_task(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> get_task_result(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> list_tasks(Call call, RequestContext& ctx);
  virtual boost::asio::awaitable<json::value> cancel_task(Call call, RequestContext& ctx);
  // Every other method (ping, unknown ones...).
  virtual boost::asio::awaitable<json::value> other(Call call, RequestContext& ctx);

  // Calls the next link.
  boost::asio::awaitable<json::value> next(Call call, RequestContext& ctx) {
    return next_->request(std::move(call), ctx);
  }

 private:
  friend class Pipeline;
  std::shared_ptr<Service> next_;
};

}  // namespace mcproxy::middleware
