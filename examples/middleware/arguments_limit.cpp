// An out-of-tree middleware: refuses tool calls whose arguments are larger than a limit, and
// marks the results of the others in _meta. Written against the framework headers only
// (middleware/ and mcp/); built into its own mcproxy executable by CMakeLists.txt beside it.
//
//   {"type": "arguments_limit", "config": {"maxBytes": 1024}}

#include "mcp/error.hpp"
#include "middleware/registry.hpp"

#include <boost/json.hpp>

namespace example {

namespace json = boost::json;
namespace mw = mcproxy::middleware;

struct ArgumentsLimitConfig {
  std::size_t max_bytes = 65536;
};

class ArgumentsLimit final : public mw::Middleware {
 public:
  explicit ArgumentsLimit(std::shared_ptr<const ArgumentsLimitConfig> config) : config_(std::move(config)) {}

 protected:
  boost::asio::awaitable<json::value> call_tool(mw::Call call, mw::RequestContext& ctx) override {
    auto* arguments = call.params.if_contains("arguments");
    auto size = arguments ? json::serialize(*arguments).size() : 0;
    if (size > config_->max_bytes)
      throw mcproxy::mcp::McpError(mcproxy::mcp::error_code::kInvalidParams,
                                   "arguments too large: " + std::to_string(size) + " bytes, the limit is " +
                                       std::to_string(config_->max_bytes),
                                   json::object{{"limit", config_->max_bytes}, {"size", size}});
    json::value result = co_await next(std::move(call), ctx);  // the inner layers, then the backend
    // Add to the backend's _meta, never replace it.
    if (auto* object = result.if_object()) {
      auto& meta = (*object)["_meta"];
      if (!meta.is_object()) meta = json::object();
      meta.get_object()["example/checkedBy"] = "arguments_limit";
    }
    co_return result;
  }

 private:
  std::shared_ptr<const ArgumentsLimitConfig> config_;
};

// Validates the config (no I/O) and records each problem with its JSON path.
std::optional<mw::Maker> parse(const json::object& config, mcproxy::config::JsonReader& r, const std::string& path) {
  std::size_t problems = r.errors().size();  // the reader collects the whole config's problems
  r.check_keys_strict(config, path, {"maxBytes"});
  auto cfg = std::make_shared<ArgumentsLimitConfig>();
  if (auto* v = config.if_contains("maxBytes"))
    if (auto n = r.integer(*v, mcproxy::config::child_path(path, "maxBytes"), 1, 1 << 30))
      cfg->max_bytes = static_cast<std::size_t>(*n);
  if (r.errors().size() != problems) return std::nullopt;
  return mw::Maker([cfg](const mw::Site&) { return std::make_shared<ArgumentsLimit>(cfg); });
}

}  // namespace example

MCPROXY_REGISTER_MIDDLEWARE(arguments_limit, {"arguments_limit", ::mcproxy::middleware::Scope::client,
                                              "refuse tool calls with large arguments (example)",
                                              &::example::parse})
