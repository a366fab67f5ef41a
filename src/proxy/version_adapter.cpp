#include "proxy/version_adapter.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

namespace mcproxy::proxy {

namespace json = boost::json;

namespace {

constexpr std::string_view k20250618 = "2025-06-18";
constexpr std::string_view k20250326 = "2025-03-26";

std::string_view str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

void adapt_block(json::value& block, std::string_view version) {
  if (!block.is_object()) return;
  auto& b = block.get_object();
  auto type = str(b, "type");
  if (type == "resource_link" && older_than(version, k20250618)) {
    std::string text = fmt::format("Resource: {} ({})", str(b, "name"), str(b, "uri"));
    block = json::object{{"type", "text"}, {"text", text}};
  } else if (type == "audio" && older_than(version, k20250326)) {
    block = json::object{{"type", "text"},
                         {"text", fmt::format("[audio content ({}) omitted]", str(b, "mimeType"))}};
  }
}

void adapt_content(json::value* content, std::string_view version) {
  if (!content || !content->is_array()) return;
  for (auto& block : content->get_array()) adapt_block(block, version);
}

}  // namespace

void adapt_result_for_client(std::string_view method, json::value& result,
                             std::string_view client_version) {
  if (!older_than(client_version, k20250618) || !result.is_object()) return;
  auto& r = result.get_object();
  if (method == "tools/call") {
    if (auto* structured = r.if_contains("structuredContent")) {
      auto* content = r.if_contains("content");
      if (!content || !content->is_array() || content->get_array().empty())
        r["content"] = json::array{json::object{{"type", "text"}, {"text", json::serialize(*structured)}}};
      r.erase("structuredContent");
    }
    adapt_content(r.if_contains("content"), client_version);
  } else if (method == "prompts/get") {
    if (auto* messages = r.if_contains("messages"); messages && messages->is_array()) {
      for (auto& m : messages->get_array()) {
        if (!m.is_object()) continue;
        if (auto* c = m.get_object().if_contains("content")) {
          if (c->is_array()) adapt_content(c, client_version);
          else adapt_block(*c, client_version);
        }
      }
    }
  } else if (method == "tools/list") {
    if (auto* tools = r.if_contains("tools"); tools && tools->is_array()) {
      for (auto& t : tools->get_array()) {
        if (!t.is_object()) continue;
        t.get_object().erase("outputSchema");
        if (older_than(client_version, k20250326)) t.get_object().erase("annotations");
      }
    }
  }
}

}  // namespace mcproxy::proxy
