#include "oauth/token_store.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mcproxy::oauth {

namespace json = boost::json;
namespace fs = std::filesystem;

TokenStore::TokenStore(std::string path) : path_(path.empty() ? default_path() : std::move(path)) {}

std::string TokenStore::default_path() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state && *state) return (fs::path(state) / "mcproxy" / "oauth-tokens.json").string();
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : ".") / ".local" / "state" / "mcproxy" / "oauth-tokens.json").string();
}

std::string TokenStore::key(std::string_view server, std::string_view identity) {
  return identity.empty() ? std::string(server) : fmt::format("{}#{}", server, identity);
}

void TokenStore::reload() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    entries_.clear();
    read_ = true;
    return;
  }
  if (read_ && st.st_mtim.tv_sec == seen_.tv_sec && st.st_mtim.tv_nsec == seen_.tv_nsec) return;
  seen_ = st.st_mtim;
  read_ = true;
  if ((st.st_mode & 077) != 0) {
    spdlog::warn("oauth: the token store {} could be read by others: its mode is set to 0600", path_);
    ::chmod(path_.c_str(), 0600);
  }
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto doc = json::parse(text.str(), ec);
  if (ec || !doc.is_object() || !doc.get_object().contains("logins") || !doc.at("logins").is_object()) {
    spdlog::error("oauth: the token store {} is not readable JSON: its logins are ignored", path_);
    entries_.clear();
    return;
  }
  entries_ = doc.at("logins").get_object();
}

void TokenStore::save() {
  fs::path target(path_);
  std::error_code ec;
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    ::chmod(target.parent_path().c_str(), 0700);
  }
  std::string tmp = path_ + fmt::format(".{}.tmp", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot write the token store {}: {}", tmp, std::strerror(errno)));
  std::string body = json::serialize(json::object{{"version", 1}, {"logins", entries_}});
  bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("cannot write the token store {}: {}", path_, std::strerror(errno)));
  }
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) seen_ = st.st_mtim;
}

std::optional<json::object> TokenStore::get(const std::string& key) {
  reload();
  auto* v = entries_.if_contains(key);
  if (!v || !v->is_object()) return std::nullopt;
  return v->get_object();
}

void TokenStore::put(const std::string& key, json::object entry) {
  reload();  // what another process wrote meanwhile is kept
  entries_[key] = std::move(entry);
  save();
}

void TokenStore::erase(const std::string& key) {
  reload();
  if (entries_.erase(key)) save();
}

}  // namespace mcproxy::oauth
