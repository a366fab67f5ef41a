#include "auth/pin_store.hpp"

#include "auth/audit_log.hpp"
#include "support/canonical_json.hpp"
#include "support/digest.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mcproxy::auth {

namespace json = boost::json;

std::string tool_definition_digest(const json::object& tool) {
  json::object definition;
  for (auto key : {"name", "title", "description", "inputSchema", "outputSchema", "annotations"})
    if (auto* v = tool.if_contains(key)) definition[key] = *v;
  return "sha256:" + support::sha256_hex(support::canonical_json(definition));
}

PinStore::Stamp PinStore::stamp() const {
  struct stat st{};
  if (::stat(path_.c_str(), &st) != 0) return Stamp{};
  return Stamp{st.st_ino, st.st_size, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

void PinStore::load() {
  pins_.clear();
  dirty_ = false;
  loaded_ = stamp();
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (std::filesystem::exists(path_)) throw std::runtime_error(fmt::format("pins: cannot read {}", path_));
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto fail = [&](std::string_view what) { return std::runtime_error(fmt::format("pins: {}: {}", path_, what)); };
  json::value doc;
  try {
    doc = json::parse(text.str());
  } catch (const std::exception& e) {
    throw fail(fmt::format("not JSON ({}); fix or remove it", e.what()));
  }
  auto* root = doc.if_object();
  auto* version = root ? root->if_contains("version") : nullptr;
  if (!version || !version->is_int64() || version->get_int64() != 1) throw fail("expected {\"version\": 1, ...}");
  auto* servers = root->if_contains("servers");
  if (!servers || !servers->is_object()) throw fail("expected a \"servers\" object");
  for (auto& [server, tools] : servers->get_object()) {
    if (!tools.is_object()) throw fail(fmt::format("servers.{}: expected an object", std::string_view(server)));
    for (auto& [tool, entry] : tools.get_object()) {
      auto* e = entry.if_object();
      auto* digest = e ? e->if_contains("digest") : nullptr;
      if (!digest || !digest->is_string())
        throw fail(fmt::format("servers.{}.{}: expected a \"digest\"", std::string_view(server), std::string_view(tool)));
      Pin pin;
      pin.digest = digest->get_string();
      if (auto* at = e->if_contains("pinnedAt"); at && at->is_string()) pin.pinned_at = at->get_string();
      if (auto* c = e->if_contains("changed"); c && c->is_object()) {
        if (auto* d = c->get_object().if_contains("digest"); d && d->is_string()) pin.changed_digest = std::string(d->get_string());
        if (auto* s = c->get_object().if_contains("seenAt"); s && s->is_string()) pin.changed_seen_at = std::string(s->get_string());
      }
      pins_[std::string(server)][std::string(tool)] = std::move(pin);
    }
  }
}

void PinStore::save() {
  json::object servers;
  for (auto& [server, tools] : pins_) {
    json::object entries;
    for (auto& [tool, pin] : tools) {
      json::object e{{"digest", pin.digest}, {"pinnedAt", pin.pinned_at}};
      if (pin.changed_digest)
        e["changed"] = json::object{{"digest", *pin.changed_digest}, {"seenAt", pin.changed_seen_at.value_or("")}};
      entries[tool] = std::move(e);
    }
    servers[server] = std::move(entries);
  }
  std::string text = json::serialize(json::object{{"version", 1}, {"servers", std::move(servers)}}) + "\n";
  auto parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error(fmt::format("pins: cannot write {}", tmp));
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("pins: cannot write {}", path_));
  }
  dirty_ = false;
  loaded_ = stamp();
}

bool PinStore::reload_if_changed() {
  if (stamp() == loaded_) return false;
  load();
  return true;
}

PinState PinStore::observe(const std::string& server, const std::string& tool, const std::string& digest) {
  auto& tools = pins_[server];
  auto it = tools.find(tool);
  if (it == tools.end()) {
    tools[tool] = Pin{digest, utc_timestamp(), std::nullopt, std::nullopt};
    dirty_ = true;
    return PinState::new_pin;
  }
  Pin& pin = it->second;
  if (pin.digest == digest) {
    if (pin.changed_digest) {  // the server went back to what was approved
      pin.changed_digest.reset();
      pin.changed_seen_at.reset();
      dirty_ = true;
    }
    return PinState::unchanged;
  }
  if (pin.changed_digest != digest) {
    pin.changed_digest = digest;
    pin.changed_seen_at = utc_timestamp();
    dirty_ = true;
  }
  return PinState::changed;
}

std::string_view PinStore::state_of(const std::string& server, const std::string& tool) const {
  auto s = pins_.find(server);
  if (s == pins_.end()) return "none";
  auto t = s->second.find(tool);
  if (t == s->second.end()) return "none";
  return t->second.changed_digest ? "changed" : "pinned";
}

bool PinStore::approve(const std::string& server, const std::string& tool) {
  auto s = pins_.find(server);
  if (s == pins_.end()) return false;
  auto t = s->second.find(tool);
  if (t == s->second.end() || !t->second.changed_digest) return false;
  t->second.digest = *t->second.changed_digest;
  t->second.pinned_at = utc_timestamp();
  t->second.changed_digest.reset();
  t->second.changed_seen_at.reset();
  dirty_ = true;
  return true;
}

std::size_t PinStore::approve_all(const std::string& server) {
  std::size_t n = 0;
  auto s = pins_.find(server);
  if (s == pins_.end()) return 0;
  for (auto& [tool, pin] : s->second) n += approve(server, tool);
  return n;
}

std::vector<PinStore::Entry> PinStore::entries() const {
  std::vector<Entry> out;
  for (auto& [server, tools] : pins_)
    for (auto& [tool, pin] : tools)
      out.push_back(Entry{server, tool, pin.digest, pin.pinned_at, pin.changed_digest, pin.changed_seen_at});
  return out;
}

}  // namespace mcproxy::auth
