#pragma once
// How the names of tools and prompts from several backends become one namespace downstream.
// `always`: every name is `<server><sep><name>`; `on-conflict`: only names that more than one
// backend uses are prefixed; `never`: names pass unchanged. Final names keep to 1-64 characters
// of [A-Za-z0-9_.-] (what clients and the conformance suite accept): other characters become
// '_', and a name that is too long is cut and ends with a short hash of the full name so it
// stays unique and stable. Names that still collide get a `_2`, `_3`... suffix, with a warning.

#include "config/config.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::proxy {

inline constexpr std::size_t kMaxNameLength = 64;

struct NameRequest {
  std::string_view server;    // the backend's configured name
  std::string_view original;  // the name the backend uses (after its middleware)
  bool final = false;         // chosen on purpose (rename): never prefixed
};

struct NamingResult {
  std::vector<std::string> names;     // one per request, same order
  std::vector<std::string> warnings;  // collisions that had to be resolved
};

// Assigns final names to a list of (server, name) pairs given in config order.
NamingResult assign_names(const std::vector<NameRequest>& requests, config::PrefixMode mode,
                          std::string_view separator);

// Replaces characters outside [A-Za-z0-9_.-] and shortens to kMaxNameLength with a hash.
std::string sanitize_name(std::string_view name);

// The prefix of a namespaced server's resource URIs: "<server>+", made a valid URI scheme
// start (letters, digits, '+', '-', '.'; first a letter), so "demo://x" becomes
// "<server>+demo://x", still a URI, and the prefix comes off again by its length.
std::string resource_namespace(std::string_view server);

}  // namespace mcproxy::proxy
