#pragma once
// The pin file of tool definitions (the "rug pull" defence): for each server and tool, the
// digest of the definition first seen (or last approved), and, while a different one is seen
// and not approved, that one under "changed". Versioned JSON a person can read:
//   {"version": 1, "servers": {"<server>": {"<tool>": {"digest": "sha256:…", "pinnedAt": "…",
//                                           "changed": {"digest": "sha256:…", "seenAt": "…"}}}}}
// Written atomically (temporary file, fsync, rename; mode 0600). A running proxy re-reads it
// when it changes on disk (an approval by `mcproxy pins approve`); observations it had not
// saved are made again on its next look at the lists.

#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace mcproxy::auth {

// "sha256:<hex>" of the RFC 8785 canonical JSON of the definition members a client acts on:
// name, title, description, inputSchema, outputSchema, annotations (those present).
std::string tool_definition_digest(const boost::json::object& tool);

enum class PinState { new_pin, unchanged, changed };

class PinStore {
 public:
  struct Entry {
    std::string server, tool, digest, pinned_at;
    std::optional<std::string> changed_digest, changed_seen_at;
  };

  explicit PinStore(std::string path) : path_(std::move(path)) {}
  const std::string& path() const noexcept { return path_; }

  // A missing file is an empty store; an unreadable or malformed one throws std::runtime_error
  // naming the file.
  void load();
  void save();
  // Re-reads the file when it changed on disk since the last load or save.
  bool reload_if_changed();

  // Records the first sight of a tool, or a changed definition (stamped with the time now).
  PinState observe(const std::string& server, const std::string& tool, const std::string& digest);
  bool approve(const std::string& server, const std::string& tool);
  // "none" (never seen), "pinned", or "changed" (a different definition seen, not approved).
  std::string_view state_of(const std::string& server, const std::string& tool) const;
  std::size_t approve_all(const std::string& server);
  std::vector<Entry> entries() const;
  bool dirty() const noexcept { return dirty_; }

 private:
  struct Pin {
    std::string digest, pinned_at;
    std::optional<std::string> changed_digest, changed_seen_at;
  };
  struct Stamp {
    ino_t inode = 0;
    off_t size = -1;
    std::int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  Stamp stamp() const;

  std::string path_;
  std::map<std::string, std::map<std::string, Pin>> pins_;
  bool dirty_ = false;
  Stamp loaded_{};
};

}  // namespace mcproxy::auth
