#pragma once
// A strict reader over a JSON document that records every problem with its JSON path
// (`mcpServers.fs.args[2]: expected string, found number`) instead of stopping at the first.
// It also expands `${VAR}` and `${VAR:-default}` in string values.

#include <boost/json/value.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::config {

namespace json = boost::json;

// Looks up an environment variable; tests substitute their own.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env_lookup();

// "mcpServers" + "fs" -> "mcpServers.fs"; keys that are not identifiers are quoted.
std::string child_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, std::size_t index);
std::string_view json_kind(const json::value& v) noexcept;

class JsonReader {
 public:
  explicit JsonReader(EnvLookup env = process_env_lookup()) : env_(std::move(env)) {}

  void error(std::string path, std::string message);
  void warning(std::string path, std::string message);
  void expected(const std::string& path, std::string_view what, const json::value& found);

  const json::object* object(const json::value& v, const std::string& path);
  const json::array* array(const json::value& v, const std::string& path);
  std::optional<std::string> string(const json::value& v, const std::string& path);
  std::optional<bool> boolean(const json::value& v, const std::string& path);
  std::optional<std::int64_t> integer(const json::value& v, const std::string& path,
                                      std::int64_t min, std::int64_t max);
  std::optional<std::vector<std::string>> string_array(const json::value& v,
                                                       const std::string& path);

  // Warns about keys of `obj` not in `known`, with a hint when one is close (typos).
  void check_keys(const json::object& obj, const std::string& path,
                  std::initializer_list<std::string_view> known);
  // The same, but unknown keys are errors (for middleware configs, where a typo must not
  // silently switch a protection off).
  void check_keys_strict(const json::object& obj, const std::string& path,
                         std::initializer_list<std::string_view> known);

  // Expands ${VAR} / ${VAR:-default}; `$$` is a literal `$`. Records an error for a missing
  // variable without default.
  std::optional<std::string> substitute(std::string_view text, const std::string& path);

  const std::vector<std::string>& errors() const noexcept { return errors_; }
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }
  // Every value a ${VAR} brought in (not the defaults written after ":-"): they may be
  // secrets, so nothing MCProxy shows may contain them (support/redaction.hpp). Messages
  // recorded here already have them replaced.
  const std::vector<std::string>& substituted() const noexcept { return substituted_; }

 private:
  std::string scrub(std::string message) const;

  EnvLookup env_;
  std::vector<std::string> substituted_;
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
};

}  // namespace mcproxy::config
