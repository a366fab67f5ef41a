#pragma once
// translate (proxy or client middleware): translates tool, prompt and resource descriptions
// (titles, prompt argument descriptions and JSON schema `description` fields too; never a
// name or a schema key) and, when configured, text results and prompt messages, into the
// client's preferred language with a real engine (Apertium, modules/apertium_engine.hpp).
//   - the language: the client's `Accept-Language` header (or initialize's
//     _meta["mcproxy/language"], or that of one request) picks the first language it lists
//     that is the source or one the engine has; else the configured "language";
//   - translations are cached per (engine, language, text) in memory, bounded, hits and misses
//     on /metrics; a list's missing texts go to the engine in one batch;
//   - a list never waits on the engine past "waitMs": it is served untranslated and the client
//     gets list_changed once the batch is done (the next list is translated);
//   - code, URLs, paths and identifiers are split out and never sent (text_segments.hpp).
// Config: {"language": "es", "sourceLanguage": "en", "clientLanguage": true,
//          "engine": {"type": "apertium", "command": "apertium", "modes": {"es": "eng-spa"},
//                     "timeoutMs": 30000},
//          "waitMs": 3000, "cacheEntries": 20000, "results": false}

#include "middleware/service.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::modules {

namespace json = boost::json;

struct TranslateState;

class Translate final : public middleware::Middleware {
 public:
  explicit Translate(std::shared_ptr<TranslateState> state) : state_(std::move(state)) {}
  // Its answer depends on the list, the language it picks for the session or request, and
  // the translations ready: the last two are its list variant (part of the list-cache key).
  bool list_is_pure(mcp::ListKind) const override { return true; }
  std::string list_variant(const middleware::Session* session, const json::object& params) const override;

 protected:
  boost::asio::awaitable<json::value> list_tools(middleware::Call call, middleware::RequestContext& ctx) override;
  boost::asio::awaitable<json::value> list_prompts(middleware::Call call, middleware::RequestContext& ctx) override;
  boost::asio::awaitable<json::value> list_resources(middleware::Call call, middleware::RequestContext& ctx) override;
  boost::asio::awaitable<json::value> list_resource_templates(middleware::Call call,
                                                              middleware::RequestContext& ctx) override;
  boost::asio::awaitable<json::value> call_tool(middleware::Call call, middleware::RequestContext& ctx) override;
  boost::asio::awaitable<json::value> get_prompt(middleware::Call call, middleware::RequestContext& ctx) override;

 private:
  boost::asio::awaitable<json::value> translated_list(middleware::Call call, middleware::RequestContext& ctx,
                                                      mcp::ListKind kind);
  boost::asio::awaitable<json::value> translated_result(middleware::Call call, middleware::RequestContext& ctx);
  std::shared_ptr<TranslateState> state_;
};

// The languages an Accept-Language value lists, best first, as primary subtags ("es-ES;q=0.8"
// gives "es"); "*" and q=0 are left out.
std::vector<std::string> parse_accept_language(std::string_view header);

}  // namespace mcproxy::modules
