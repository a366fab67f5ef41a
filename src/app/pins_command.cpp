#include "app/pins_command.hpp"

#include "auth/pin_store.hpp"

#include <cstdio>
#include <exception>

#include <fmt/format.h>

namespace mcproxy::app {

int run_pins_command(const std::string& file, const std::string& action, const std::vector<std::string>& names) {
  try {
    auth::PinStore store(file);
    store.load();
    if (action == "list") {
      auto entries = store.entries();
      if (entries.empty()) fmt::print("no pins in {} (a proxy with \"pins\" records them on first sight)\n", file);
      for (auto& e : entries) {
        std::string state = e.changed_digest ? "CHANGED, awaiting approval" : "pinned";
        fmt::print("{:<16} {:<32} {:<28} {}  since {}{}\n", e.server, e.tool, state, e.digest.substr(0, 19), e.pinned_at,
                   e.changed_digest ? fmt::format("  new {} seen {}", e.changed_digest->substr(0, 19),
                                                  e.changed_seen_at.value_or("?"))
                                    : "");
      }
      return 0;
    }
    if (action == "approve") {
      if (names.size() < 2) {
        std::fprintf(stderr, "mcproxy pins approve: give SERVER and TOOL (see `mcproxy pins list`)\n");
        return 2;
      }
      int failures = 0;
      for (std::size_t i = 1; i < names.size(); ++i) {
        if (store.approve(names[0], names[i])) {
          fmt::print("approved the new definition of {} {}\n", names[0], names[i]);
        } else {
          std::fprintf(stderr, "mcproxy pins: %s %s has no changed definition to approve (see `mcproxy pins list`)\n",
                       names[0].c_str(), names[i].c_str());
          ++failures;
        }
      }
      if (store.dirty()) store.save();
      if (failures == 0) fmt::print("a running proxy picks this up within a second, without a restart\n");
      return failures ? 1 : 0;
    }
    if (action == "approve-all") {
      if (names.size() != 1) {
        std::fprintf(stderr, "mcproxy pins approve-all: give one SERVER\n");
        return 2;
      }
      auto n = store.approve_all(names[0]);
      if (n == 0) {
        std::fprintf(stderr, "mcproxy pins: %s has no changed definition to approve\n", names[0].c_str());
        return 1;
      }
      store.save();
      fmt::print("approved {} changed definition(s) of {}; a running proxy picks this up within a second\n", n,
                 names[0]);
      return 0;
    }
    std::fprintf(stderr, "mcproxy pins: unknown action \"%s\" (list, approve, approve-all)\n", action.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mcproxy %s\n", e.what());
    return 1;
  }
}

}  // namespace mcproxy::app
