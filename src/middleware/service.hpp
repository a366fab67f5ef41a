#pragma once
// The middleware model (Tower's Service + Layer): a Service answers MCP requests; a Middleware
// is a Service that owns the next one. Every MCP method flows through request() unchanged
// (methods added by later protocol revisions included); the pass-through base dispatches the
// common ones to typed hooks, so a middleware overrides call_tool(), not a string switch.
//
// Client middleware wraps one backend (one instance per backend, the backend's own names);
// proxy middleware wraps the aggregator (one instance per proxy, the merged prefixed view;
// per-client state is keyed by session). The first middleware configured is the outermost:
// it sees the request first and the result last.

#include "proxy/request_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace mcproxy::middleware {

namespace json = boost::json;
using proxy::RequestContext;

class Service {
 public:
  virtual ~Service() = default;
  // `ctx` is null for the proxy's own requests (e.g. refreshing a backend's lists).
  virtual boost::asio::awaitable<json::value> request(std::string method, json::object params,
                                                      RequestContext* ctx) = 0;
  // A notification toward the server (client -> server direction).
  virtual void notify(std::string method, json::object params) = 0;
};

class Middleware : public Service {
 public:
  void set_next(std::shared_ptr<Service> next) { next_ = std::move(next); }

  boost::asio::awaitable<json::value> request(std::string method, json::object params,
                                              RequestContext* ctx) override;
  void notify(std::string method, json::object params) override {
    next_->notify(std::move(method), std::move(params));
  }

  // Reverse path: a notification from the server on its way to the clients (innermost
  // middleware first). May change `params`; returning false drops the notification.
  virtual bool on_server_notification(std::string_view method, json::object& params) {
    return true;
  }
  // A name this middleware chose on purpose (e.g. a rename target): the proxy exposes it as
  // is, without the server prefix.
  virtual bool is_final_name(std::string_view name) const { return false; }

 protected:
  // Typed hooks; each default calls the next service.
  virtual boost::asio::awaitable<json::value> list_tools(json::object params, RequestContext* ctx);
  virtual boost::asio::awaitable<json::value> call_tool(json::object params, RequestContext* ctx);
  virtual boost::asio::awaitable<json::value> list_prompts(json::object params, RequestContext* ctx);
  virtual boost::asio::awaitable<json::value> get_prompt(json::object params, RequestContext* ctx);
  virtual boost::asio::awaitable<json::value> list_resources(json::object params, RequestContext* ctx);
  virtual boost::asio::awaitable<json::value> list_resource_templates(json::object params,
                                                                     RequestContext* ctx);
  virtual boost::asio::awaitable<json::value> read_resource(json::object params, RequestContext* ctx);
  // Every other method.
  virtual boost::asio::awaitable<json::value> other(std::string method, json::object params,
                                                    RequestContext* ctx);

  // Calls the next service.
  boost::asio::awaitable<json::value> next(std::string method, json::object params,
                                           RequestContext* ctx) {
    return next_->request(std::move(method), std::move(params), ctx);
  }

 private:
  std::shared_ptr<Service> next_;
};

}  // namespace mcproxy::middleware
