#include "mcp/methods.hpp"

#include <algorithm>
#include <string>

namespace mcproxy::mcp {

namespace {

// Names sorted once, for a binary search on every message.
struct ByName {
  std::array<const MethodInfo*, kMethodTable.size()> entries{};
  ByName() {
    for (std::size_t i = 0; i < kMethodTable.size(); ++i) entries[i] = &kMethodTable[i];
    std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->name < b->name; });
  }
};

const ByName& by_name() {
  static const ByName index;
  return index;
}

std::uint8_t revision_bit(std::string_view version) noexcept {
  if (version == "2024-11-05") return revision::k20241105;
  if (version == "2025-03-26") return revision::k20250326;
  if (version == "2025-06-18") return revision::k20250618;
  if (version == "2025-11-25") return revision::k20251125;
  if (version == "2026-07-28") return revision::k20260728;
  return 0;
}

}  // namespace

Method find_method(std::string_view name) noexcept {
  auto& entries = by_name().entries;
  auto it = std::lower_bound(entries.begin(), entries.end(), name,
                             [](const MethodInfo* e, std::string_view n) { return e->name < n; });
  return it != entries.end() && (*it)->name == name ? (*it)->id : Method::unknown;
}

bool exists_in(Method method, std::string_view version) noexcept {
  auto* i = info(method);
  auto bit = revision_bit(version);
  return !i || !bit || (i->revisions & bit) != 0;
}

std::string_view list_method(ListKind k) noexcept {
  switch (k) {
    case ListKind::tools: return name_of(Method::tools_list);
    case ListKind::prompts: return name_of(Method::prompts_list);
    case ListKind::resources: return name_of(Method::resources_list);
    case ListKind::templates: return name_of(Method::resources_templates_list);
  }
  return {};
}

std::string_view list_key(ListKind k) noexcept {
  switch (k) {
    case ListKind::tools: return "tools";
    case ListKind::prompts: return "prompts";
    case ListKind::resources: return "resources";
    case ListKind::templates: return "resourceTemplates";
  }
  return {};
}

std::string_view list_capability(ListKind k) noexcept {
  switch (k) {
    case ListKind::tools: return "tools";
    case ListKind::prompts: return "prompts";
    case ListKind::resources:
    case ListKind::templates: return "resources";
  }
  return {};
}

std::string_view list_changed_method(ListKind k) noexcept {
  switch (k) {
    case ListKind::tools: return name_of(Method::tools_list_changed);
    case ListKind::prompts: return name_of(Method::prompts_list_changed);
    case ListKind::resources:
    case ListKind::templates: return name_of(Method::resources_list_changed);
  }
  return {};
}

std::string_view required_client_capability(std::string_view method) noexcept {
  if (method == "sampling/createMessage") return "sampling";
  if (method == "elicitation/create") return "elicitation";
  if (method == "roots/list") return "roots";
  return {};
}

}  // namespace mcproxy::mcp
