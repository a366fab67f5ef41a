#include "middleware/proxy/tool_search.hpp"

#include "mcp/error.hpp"
#include "mcp/jsonrpc.hpp"
#include "middleware/registry.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>
#include <xapian.h>

#include <fmt/format.h>

namespace mcproxy::middleware {

using boost::asio::awaitable;
using mcp::McpError;
namespace ec = mcp::error_code;

namespace {

std::string_view str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// "read_text_file" -> "read text file": identifiers become words the stemmer understands.
std::string words(std::string_view identifier) {
  std::string out(identifier);
  for (auto& c : out)
    if (c == '_' || c == '-' || c == '.' || c == '/') c = ' ';
  // camelCase -> camel Case
  std::string spaced;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i > 0 && std::isupper(static_cast<unsigned char>(out[i])) &&
        std::islower(static_cast<unsigned char>(out[i - 1])))
      spaced += ' ';
    spaced += out[i];
  }
  return spaced;
}

std::uint64_t signature(const json::array& tools) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  };
  for (auto& t : tools) {
    if (!t.is_object()) continue;
    mix(str(t.get_object(), "name"));
    mix(str(t.get_object(), "description"));
  }
  return h ^ tools.size();
}

std::optional<Maker> parse(const json::object& config, config::JsonReader& r, const std::string& path) {
  r.check_keys_strict(config, path, {"maxTools", "toolName", "defaultLimit", "maxLimit"});
  auto cfg = std::make_shared<ToolSearchConfig>();
  std::size_t errors = r.errors().size();
  auto p = [&](std::string_view key) { return config::child_path(path, key); };
  if (auto* v = config.if_contains("maxTools"))
    cfg->max_tools = static_cast<std::size_t>(r.integer(*v, p("maxTools"), 0, 100'000).value_or(0));
  if (auto* v = config.if_contains("toolName")) cfg->tool_name = r.string(*v, p("toolName")).value_or(cfg->tool_name);
  if (auto* v = config.if_contains("defaultLimit"))
    cfg->default_limit = static_cast<std::size_t>(r.integer(*v, p("defaultLimit"), 1, 1000).value_or(5));
  if (auto* v = config.if_contains("maxLimit"))
    cfg->max_limit = static_cast<std::size_t>(r.integer(*v, p("maxLimit"), 1, 1000).value_or(50));
  if (r.errors().size() != errors) return std::nullopt;
  return Maker([cfg](const Site&) { return std::make_shared<ToolSearch>(cfg); });
}

}  // namespace

struct ToolIndex::Impl {
  Xapian::WritableDatabase db{std::string(), Xapian::DB_BACKEND_INMEMORY};
  Xapian::Stem stemmer{"english"};
};

ToolIndex::ToolIndex() : impl_(std::make_unique<Impl>()) {}
ToolIndex::~ToolIndex() = default;

void ToolIndex::build(const json::array& tools) {
  impl_ = std::make_unique<Impl>();
  tools_ = tools;
  Xapian::TermGenerator generator;
  generator.set_stemmer(impl_->stemmer);
  generator.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
  for (std::size_t i = 0; i < tools_.size(); ++i) {
    if (!tools_[i].is_object()) continue;
    auto& tool = tools_[i].get_object();
    Xapian::Document doc;
    generator.set_document(doc);
    // The name weighs most, then the title; description and parameters once.
    auto name = words(str(tool, "name"));
    generator.index_text(name, 3);
    generator.increase_termpos();
    generator.index_text(std::string(str(tool, "title")), 2);
    generator.increase_termpos();
    generator.index_text(std::string(str(tool, "description")));
    if (auto* schema = tool.if_contains("inputSchema"); schema && schema->is_object()) {
      if (auto* props = schema->get_object().if_contains("properties"); props && props->is_object()) {
        for (auto& [param, spec] : props->get_object()) {
          generator.increase_termpos();
          generator.index_text(words(param));
          if (spec.is_object()) generator.index_text(std::string(str(spec.get_object(), "description")));
        }
      }
    }
    doc.set_data(std::to_string(i));
    impl_->db.add_document(doc);
  }
}

std::vector<ToolIndex::Hit> ToolIndex::search(std::string_view query, std::size_t limit) const {
  std::vector<Hit> hits;
  if (tools_.empty() || query.empty()) return hits;
  Xapian::QueryParser parser;
  parser.set_stemmer(impl_->stemmer);
  parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
  parser.set_default_op(Xapian::Query::OP_OR);
  parser.set_database(impl_->db);
  Xapian::Query q;
  try {
    q = parser.parse_query(std::string(query), Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_PARTIAL);
  } catch (const Xapian::QueryParserError&) {
    q = parser.parse_query(words(query), 0);  // odd syntax: search the plain words
  }
  Xapian::Enquire enquire(impl_->db);
  enquire.set_query(q);
  enquire.set_weighting_scheme(Xapian::BM25Weight());
  auto mset = enquire.get_mset(0, static_cast<Xapian::doccount>(limit));
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    auto index = std::stoul(it.get_document().get_data());
    hits.push_back(Hit{&tools_[index].get_object(), it.get_weight()});
  }
  return hits;
}

ToolSearch::ToolSearch(std::shared_ptr<const ToolSearchConfig> config) : config_(std::move(config)) {}

json::object ToolSearch::search_tool_definition() const {
  return json::object{
      {"name", config_->tool_name},
      {"title", "Search tools"},
      {"description",
       "Find tools by describing what you want to do (e.g. \"read a file\"). Returns the best "
       "matching tools with their descriptions and input schemas; they can be called right away."},
      {"inputSchema",
       json::object{{"type", "object"},
                    {"properties",
                     json::object{{"query", json::object{{"type", "string"}, {"description", "what the tool should do"}}},
                                  {"limit", json::object{{"type", "integer"}, {"minimum", 1},
                                                         {"maximum", config_->max_limit},
                                                         {"description", "how many tools to return"}}}}},
                    {"required", json::array{"query"}}}},
      {"annotations", json::object{{"readOnlyHint", true}, {"openWorldHint", false}}}};
}

awaitable<json::array> ToolSearch::all_tools(RequestContext& ctx) {
  json::array all;
  json::value cursor;
  for (int page = 0; page < 10'000; ++page) {
    json::object params;
    if (cursor.is_string()) params["cursor"] = cursor;
    json::value result = co_await next(Call{mcp::Method::tools_list, std::move(params)}, ctx);
    if (!result.is_object()) break;
    if (auto* tools = result.get_object().if_contains("tools"); tools && tools->is_array())
      for (auto& t : tools->get_array()) all.push_back(std::move(t));
    auto* next_cursor = result.get_object().if_contains("nextCursor");
    if (!next_cursor || !next_cursor->is_string()) break;
    cursor = *next_cursor;
  }
  co_return all;
}

void ToolSearch::refresh_index(const json::array& tools) {
  auto sig = signature(tools);
  if (sig == indexed_signature_ && index_.size() == tools.size()) return;
  auto started = std::chrono::steady_clock::now();
  index_.build(tools);
  indexed_signature_ = sig;
  spdlog::debug("tool_search: indexed {} tools in {} ms", tools.size(),
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
}

bool ToolSearch::list_is_pure(mcp::ListKind kind) const {
  return kind != mcp::ListKind::tools || config_->max_tools == 0;
}

awaitable<json::value> ToolSearch::list_tools(Call call, RequestContext& ctx) {
  json::array tools = co_await all_tools(ctx);
  refresh_index(tools);
  json::array exposed;
  if (config_->max_tools == 0) {
    exposed = std::move(tools);
  } else {
    static const Found kNothing;
    const Found& found = ctx.session ? ctx.session->state<Found>(this) : kNothing;
    for (std::size_t i = 0; i < tools.size(); ++i) {
      auto name = str(tools[i].get_object(), "name");
      if (i < config_->max_tools || found.names.contains(std::string(name))) exposed.push_back(std::move(tools[i]));
    }
  }
  exposed.push_back(search_tool_definition());
  co_return json::object{{"tools", std::move(exposed)}};
}

awaitable<json::value> ToolSearch::call_tool(Call call, RequestContext& ctx) {
  if (str(call.params, "name") != config_->tool_name) co_return co_await next(std::move(call), ctx);
  const json::object& params = call.params;

  static const json::object kEmpty;
  auto* args_value = params.if_contains("arguments");
  const json::object& args = args_value && args_value->is_object() ? args_value->get_object() : kEmpty;
  auto query = str(args, "query");
  if (query.empty())
    throw McpError(ec::kInvalidParams, fmt::format("{} needs a non-empty \"query\"", config_->tool_name));
  std::size_t limit = config_->default_limit;
  if (auto* l = args.if_contains("limit"); l && l->is_int64() && l->get_int64() > 0)
    limit = std::min<std::size_t>(static_cast<std::size_t>(l->get_int64()), config_->max_limit);

  refresh_index(co_await all_tools(ctx));
  auto hits = index_.search(query, limit);
  json::array matches;
  bool grew = false;
  Found scratch;
  Found& found = ctx.session ? ctx.session->state<Found>(this) : scratch;
  // Tools already shown (the first maxTools) do not change the session's list when found.
  std::unordered_set<std::string_view> shown;
  if (config_->max_tools > 0) {
    for (std::size_t i = 0; i < index_.size() && i < config_->max_tools; ++i)
      shown.insert(str(index_.tool(i), "name"));
  }
  for (auto& hit : hits) {
    json::object m;
    m["name"] = str(*hit.tool, "name");
    if (auto* d = hit.tool->if_contains("description")) m["description"] = *d;
    if (auto* s = hit.tool->if_contains("inputSchema")) m["inputSchema"] = *s;
    m["score"] = std::round(hit.score * 1000) / 1000;
    matches.push_back(std::move(m));
    auto name = str(*hit.tool, "name");
    if (found.names.insert(std::string(name)).second && !shown.contains(name)) grew = true;
  }
  if (grew && config_->max_tools > 0 && ctx.session) {
    // Only this session's list changed.
    ctx.session->notify(mcp::name_of(mcp::Method::tools_list_changed), {});
  }
  json::object structured{{"query", query}, {"tools", matches}};
  std::string text = matches.empty()
                         ? fmt::format("No tool matches \"{}\".", query)
                         : json::serialize(matches);
  co_return json::object{{"content", json::array{json::object{{"type", "text"}, {"text", text}}}},
                         {"structuredContent", std::move(structured)}};
}

}  // namespace mcproxy::middleware

MCPROXY_REGISTER_MIDDLEWARE(tool_search, {"tool_search", ::mcproxy::middleware::Scope::proxy,
                                          "search_tools: BM25 search over the catalogue; optional maxTools",
                                          &::mcproxy::middleware::parse})
