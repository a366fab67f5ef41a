#pragma once
// Where upstream logins are kept between runs: one JSON file, mode 0600, written whole to a
// temporary file and renamed (a reader never sees half of it), read again when another process
// (`mcproxy login`) changed it. An entry per server and identity holds the tokens and the
// client registration they were issued to. Nothing from it is ever logged.

#include <boost/json/object.hpp>

#include <ctime>
#include <optional>
#include <string>

namespace mcproxy::oauth {

class TokenStore {
 public:
  explicit TokenStore(std::string path);
  // $XDG_STATE_HOME/mcproxy/oauth-tokens.json, else ~/.local/state/mcproxy/oauth-tokens.json.
  static std::string default_path();
  const std::string& path() const noexcept { return path_; }

  // The entry of `key` as the file has it now; nullopt when there is none.
  std::optional<boost::json::object> get(const std::string& key);
  // Throws std::runtime_error when the file cannot be written.
  void put(const std::string& key, boost::json::object entry);
  void erase(const std::string& key);

  // The key of a server's login: its name and, with per-identity credentials, the identity.
  static std::string key(std::string_view server, std::string_view identity);

 private:
  void reload();
  void save();
  std::string path_;
  boost::json::object entries_;
  std::timespec seen_{};  // the file's mtime when it was last read
  bool read_ = false;
};

}  // namespace mcproxy::oauth
