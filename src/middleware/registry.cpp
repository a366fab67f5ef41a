#include "middleware/registry.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace mcproxy::middleware {

std::string_view to_string(Scope s) noexcept {
  switch (s) {
    case Scope::client: return "client";
    case Scope::proxy: return "proxy";
    case Scope::any: return "client or proxy";
  }
  return "client";
}

Registry& Registry::instance() {
  static Registry registry;  // constructed on first use: safe from any static initialiser
  return registry;
}

bool Registry::add(Registration registration) {
  if (find(registration.type)) {
    std::fprintf(stderr, "mcproxy: middleware type '%s' registered twice\n", registration.type.c_str());
    std::abort();
  }
  registrations_.push_back(std::move(registration));
  return true;
}

const Registration* Registry::find(std::string_view type) const {
  for (auto& r : registrations_)
    if (r.type == type) return &r;
  return nullptr;
}

std::vector<const Registration*> Registry::all() const {
  std::vector<const Registration*> out;
  for (auto& r : registrations_) out.push_back(&r);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->type < b->type; });
  return out;
}

}  // namespace mcproxy::middleware
