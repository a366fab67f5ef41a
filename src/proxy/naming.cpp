#include "proxy/naming.hpp"

#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

namespace mcproxy::proxy {

namespace {

bool allowed_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// FNV-1a: stable across runs and platforms, unlike std::hash.
std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

std::string fit(std::string name, std::string_view full) {
  if (name.size() <= kMaxNameLength) return name;
  auto suffix = fmt::format("_{:08x}", fnv1a(full));
  name.resize(kMaxNameLength - suffix.size());
  return name + suffix;
}

}  // namespace

std::string sanitize_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (unsigned char c : name) out += allowed_char(c) ? static_cast<char>(c) : '_';
  if (out.empty()) out = "_";
  return fit(std::move(out), name);
}

std::string resource_namespace(std::string_view server) {
  std::string out;
  for (unsigned char c : server) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    out += ok ? static_cast<char>(c) : '-';
  }
  if (out.empty() || !((out[0] >= 'a' && out[0] <= 'z') || (out[0] >= 'A' && out[0] <= 'Z'))) out.insert(0, "s");
  return out + "+";
}

NamingResult assign_names(const std::vector<NameRequest>& requests, config::PrefixMode mode,
                          std::string_view separator) {
  NamingResult result;
  result.names.reserve(requests.size());

  std::unordered_map<std::string_view, std::size_t> servers_per_name;
  if (mode == config::PrefixMode::on_conflict) {
    std::unordered_map<std::string_view, std::string_view> first_server;
    for (auto& r : requests) {
      auto [it, inserted] = first_server.emplace(r.original, r.server);
      if (inserted) servers_per_name[r.original] = 1;
      else if (it->second != r.server) ++servers_per_name[r.original];
    }
  }

  std::unordered_set<std::string> taken;
  taken.reserve(requests.size() * 2);
  for (auto& r : requests) {
    bool prefix = !r.final && (mode == config::PrefixMode::always ||
                               (mode == config::PrefixMode::on_conflict &&
                                servers_per_name[r.original] > 1));
    std::string full = prefix ? fmt::format("{}{}{}", r.server, separator, r.original)
                              : std::string(r.original);
    std::string name = sanitize_name(full);
    if (!taken.insert(name).second) {
      std::string base = name;
      for (int n = 2;; ++n) {
        auto suffix = fmt::format("_{}", n);
        std::string candidate = base.size() + suffix.size() > kMaxNameLength
                                    ? base.substr(0, kMaxNameLength - suffix.size()) + suffix
                                    : base + suffix;
        if (taken.insert(candidate).second) {
          result.warnings.push_back(fmt::format(
              "'{}' from server '{}' collides with another name; it is exposed as '{}'",
              r.original, r.server, candidate));
          name = std::move(candidate);
          break;
        }
      }
    }
    result.names.push_back(std::move(name));
  }
  return result;
}

}  // namespace mcproxy::proxy
