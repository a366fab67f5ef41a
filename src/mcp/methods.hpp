#pragma once
// Every MCP method the proxy knows, once: its wire name, whether it is a request or a
// notification, which way it travels, how the proxy routes it, which list it is, and in which
// protocol revisions it exists (MCP-DIGEST §5 and §9). The middleware framework dispatches on
// it, the proxy routes by it, and a method missing here still flows through untouched
// (Method::unknown): later revisions never need a code change to pass.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mcproxy::mcp {

enum class Method : std::uint8_t {
  // client -> server requests
  initialize,
  ping,
  tools_list,
  tools_call,
  prompts_list,
  prompts_get,
  resources_list,
  resources_templates_list,
  resources_read,
  resources_subscribe,
  resources_unsubscribe,
  logging_set_level,
  completion_complete,
  tasks_get,
  tasks_result,
  tasks_list,
  tasks_cancel,
  server_discover,
  subscriptions_listen,
  // server -> client requests
  sampling_create_message,
  elicitation_create,
  roots_list,
  // notifications
  initialized,
  cancelled,
  progress,
  message,
  roots_list_changed,
  tools_list_changed,
  prompts_list_changed,
  resources_list_changed,
  resources_updated,
  tasks_status,
  elicitation_complete,
  subscriptions_acknowledged,
  unknown,  // not in this table: passed on as it is
};

enum class MethodKind : std::uint8_t { request, notification };
enum class Direction : std::uint8_t { to_server, to_client, both };

// How the proxy serves a client -> server request.
enum class Routing : std::uint8_t {
  local,     // answered by the proxy itself (initialize, ping, server/discover)
  list,      // merged from every backend (a ListKind)
  by_name,   // to the backend that owns a tool or prompt name
  by_uri,    // to the backend that owns a resource URI
  by_task,   // to the backend that runs the task
  by_reference,  // completion/complete: by its ref (a prompt name or a resource URI)
  fan_out,   // to every backend (logging/setLevel)
  relay,     // goes the other way (server -> client) or is a notification
};

enum class ListKind : std::uint8_t { tools, prompts, resources, templates };
inline constexpr std::array<ListKind, 4> kAllListKinds = {ListKind::tools, ListKind::prompts,
                                                          ListKind::resources, ListKind::templates};

// Protocol revisions as bits, to say where a method exists.
namespace revision {
inline constexpr std::uint8_t k20241105 = 1 << 0;
inline constexpr std::uint8_t k20250326 = 1 << 1;
inline constexpr std::uint8_t k20250618 = 1 << 2;
inline constexpr std::uint8_t k20251125 = 1 << 3;
inline constexpr std::uint8_t k20260728 = 1 << 4;
inline constexpr std::uint8_t kLegacy = k20241105 | k20250326 | k20250618 | k20251125;  // initialize era
inline constexpr std::uint8_t kAll = kLegacy | k20260728;
inline constexpr std::uint8_t kSince20250326 = kAll & ~k20241105;
inline constexpr std::uint8_t kSince20250618 = kSince20250326 & ~k20250326;
}  // namespace revision

struct MethodInfo {
  Method id;
  std::string_view name;
  MethodKind kind;
  Direction direction;
  Routing routing;
  std::optional<ListKind> list;  // for the list requests
  std::uint8_t revisions;        // revision:: bits
};

namespace detail {
using enum Method;
using enum MethodKind;
using enum Direction;
using enum Routing;
namespace r = revision;
inline constexpr std::array<MethodInfo, static_cast<std::size_t>(Method::unknown)> kMethods = {{
    {initialize, "initialize", request, to_server, local, {}, r::kLegacy},
    {ping, "ping", request, both, local, {}, r::kLegacy},
    {tools_list, "tools/list", request, to_server, list, ListKind::tools, r::kAll},
    {tools_call, "tools/call", request, to_server, by_name, {}, r::kAll},
    {prompts_list, "prompts/list", request, to_server, list, ListKind::prompts, r::kAll},
    {prompts_get, "prompts/get", request, to_server, by_name, {}, r::kAll},
    {resources_list, "resources/list", request, to_server, list, ListKind::resources, r::kAll},
    {resources_templates_list, "resources/templates/list", request, to_server, list, ListKind::templates, r::kAll},
    {resources_read, "resources/read", request, to_server, by_uri, {}, r::kAll},
    {resources_subscribe, "resources/subscribe", request, to_server, by_uri, {}, r::kLegacy},
    {resources_unsubscribe, "resources/unsubscribe", request, to_server, by_uri, {}, r::kLegacy},
    {logging_set_level, "logging/setLevel", request, to_server, fan_out, {}, r::kLegacy},
    {completion_complete, "completion/complete", request, to_server, by_reference, {}, r::kSince20250326},
    {tasks_get, "tasks/get", request, both, by_task, {}, r::k20251125 | r::k20260728},
    {tasks_result, "tasks/result", request, both, by_task, {}, r::k20251125},
    {tasks_list, "tasks/list", request, both, list, {}, r::k20251125},
    {tasks_cancel, "tasks/cancel", request, both, by_task, {}, r::k20251125 | r::k20260728},
    {server_discover, "server/discover", request, to_server, local, {}, r::k20260728},
    {subscriptions_listen, "subscriptions/listen", request, to_server, local, {}, r::k20260728},
    {sampling_create_message, "sampling/createMessage", request, to_client, relay, {}, r::kLegacy},
    {elicitation_create, "elicitation/create", request, to_client, relay, {}, r::kSince20250618 & r::kLegacy},
    {roots_list, "roots/list", request, to_client, relay, {}, r::kLegacy},
    {initialized, "notifications/initialized", notification, to_server, relay, {}, r::kLegacy},
    {cancelled, "notifications/cancelled", notification, both, relay, {}, r::kAll},
    {progress, "notifications/progress", notification, both, relay, {}, r::kAll},
    {message, "notifications/message", notification, to_client, relay, {}, r::kAll},
    {roots_list_changed, "notifications/roots/list_changed", notification, to_server, relay, {}, r::kLegacy},
    {tools_list_changed, "notifications/tools/list_changed", notification, to_client, relay, ListKind::tools, r::kAll},
    {prompts_list_changed, "notifications/prompts/list_changed", notification, to_client, relay, ListKind::prompts, r::kAll},
    {resources_list_changed, "notifications/resources/list_changed", notification, to_client, relay, ListKind::resources, r::kAll},
    {resources_updated, "notifications/resources/updated", notification, to_client, relay, {}, r::kAll},
    {tasks_status, "notifications/tasks/status", notification, both, relay, {}, r::k20251125 | r::k20260728},
    {elicitation_complete, "notifications/elicitation/complete", notification, to_client, relay, {}, r::k20251125},
    {subscriptions_acknowledged, "notifications/subscriptions/acknowledged", notification, to_client, relay, {}, r::k20260728},
}};

// The table is in enum order: find by id is an index.
constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kMethods.size(); ++i)
    if (static_cast<std::size_t>(kMethods[i].id) != i) return false;
  return true;
}
static_assert(in_enum_order(), "kMethods must list the methods in the order of enum Method");
}  // namespace detail

inline constexpr const auto& kMethodTable = detail::kMethods;

// The entry of a known method; nullptr for Method::unknown.
constexpr const MethodInfo* info(Method m) noexcept {
  return m == Method::unknown ? nullptr : &detail::kMethods[static_cast<std::size_t>(m)];
}
constexpr std::string_view name_of(Method m) noexcept {
  auto* i = info(m);
  return i ? i->name : std::string_view();
}
// By wire name; Method::unknown when the table does not know it.
Method find_method(std::string_view name) noexcept;

// Whether `method` exists in protocol revision `version` ("2025-11-25"); true for unknown
// methods and versions (they are passed on, the peer decides).
bool exists_in(Method method, std::string_view version) noexcept;

std::string_view list_method(ListKind k) noexcept;      // "tools/list", ...
std::string_view list_key(ListKind k) noexcept;         // "tools", ..., "resourceTemplates"
std::string_view list_capability(ListKind k) noexcept;  // "tools", "prompts", "resources"
std::string_view list_changed_method(ListKind k) noexcept;  // "notifications/tools/list_changed"

// The client capability a server-to-client request needs ("sampling", "elicitation",
// "roots"), or empty.
std::string_view required_client_capability(std::string_view method) noexcept;

}  // namespace mcproxy::mcp
