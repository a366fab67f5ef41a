#pragma once
// The era bridge for a 2026-07-28 client in front of an initialize-era server (MCP-DIGEST §9,
// multi round-trip requests). Such a server asks its client things in the middle of a request
// (sampling/createMessage, elicitation/create, roots/list); a stateless client cannot be asked,
// it can only be answered input_required and retry. So a tools/call, prompts/get or
// resources/read of a stateless client runs here as a child that may be suspended:
//   - what the server asks (DownstreamSession::input_sink) ends the client's request with an
//     input_required result: the questions under keys of the proxy's own, and a requestState
//     it signs (request_state.hpp) naming the suspended request;
//   - the upstream request stays in flight on its session, which the bridge holds open;
//   - the client's retry (a new id, inputResponses, the state echoed) is checked (signature,
//     expiry, identity, method, name), its answers go to the waiting questions, and the retry
//     waits for what comes next: the result (under the retry's id), or more questions;
//   - a suspension whose retry does not come within bridge.inputTimeoutMs is cancelled
//     upstream; at most bridge.maxWaiting are held at once (past that, the server's question
//     fails, as it would without the bridge).
// Everything here runs on the core executor.

#include "config/config.hpp"
#include "mcp/jsonrpc.hpp"
#include "proxy/client_stream.hpp"
#include "proxy/downstream_session.hpp"
#include "proxy/request_state.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace mcproxy::proxy {

class SessionManager;

class InputBridge {
 public:
  // The regular handling of one request (McpServer): its serialized response, or none.
  using Run = std::function<boost::asio::awaitable<std::optional<std::string>>(
      std::shared_ptr<DownstreamSession>, mcp::Message, ClientStream*)>;

  InputBridge(boost::asio::any_io_executor core, SessionManager& sessions, const config::BridgeConfig& config,
              std::string instance);
  ~InputBridge();

  // One request of a stateless session: a retry carrying a state of MCProxy's resumes its
  // suspended request; a request that may wait for input runs through `run` and may be
  // suspended; anything else is just `run`.
  boost::asio::awaitable<std::optional<std::string>> serve(std::shared_ptr<DownstreamSession> session,
                                                          mcp::Message message, ClientStream* stream, Run run);

  std::size_t waiting() const noexcept { return waiting_.size(); }
  // Shutdown: the requests waiting for a retry are cancelled upstream now (their clients are
  // not connected; the grace period is for requests that can finish). Returns how many.
  std::size_t abandon_waiting();

 private:
  struct Suspended;
  boost::asio::awaitable<std::optional<std::string>> resume(std::shared_ptr<DownstreamSession> session,
                                                           mcp::Message message, ClientStream* stream);
  // Waits for the request's next turn: its end (the response under `id`), or questions for
  // the client (an input_required result under `id`).
  boost::asio::awaitable<std::optional<std::string>> next_turn(std::shared_ptr<Suspended> s, boost::json::value id);
  void finish(Suspended& s);
  // Ends a suspended request that no exchange waits on: its questions fail, its upstream
  // request is cancelled, its session ends.
  void abandon(Suspended& s);
  void arm_expiry(const std::shared_ptr<Suspended>& s);

  boost::asio::any_io_executor core_;
  SessionManager& sessions_;
  RequestStateSigner signer_;
  std::chrono::milliseconds input_timeout_;
  std::size_t max_waiting_;
  std::string instance_;
  std::unordered_map<std::string, std::shared_ptr<Suspended>> waiting_;  // by suspension id
};

}  // namespace mcproxy::proxy
