// YAML configs (yaml-cpp, from Debian's libyaml-cpp-dev): turned into the JSON document the
// JSON reader validates, so both formats share one schema and the same error paths.

#include "config/config.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace mcproxy::config {

namespace {

namespace json = boost::json;

// Plain scalars follow YAML's core schema (true/false, null, numbers); quoted ones are strings.
json::value scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return json::value(text);  // quoted: always a string
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (text == "null" || text == "Null" || text == "NULL" || text == "~" || text.empty()) return nullptr;
  try {
    std::size_t used = 0;
    long long n = std::stoll(text, &used, 10);
    if (used == text.size()) return json::value(n);
  } catch (...) {
  }
  try {
    std::size_t used = 0;
    double d = std::stod(text, &used);
    if (used == text.size()) return json::value(d);
  } catch (...) {
  }
  return json::value(text);
}

json::value convert(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return scalar(node);
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& item : node) a.push_back(convert(item));
      return a;
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : node) o[kv.first.as<std::string>()] = convert(kv.second);
      return o;
    }
  }
  return nullptr;
}

}  // namespace

boost::json::value yaml_to_json(const std::string& text, const std::string& source) {
  try {
    return convert(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    throw ConfigError(source, {fmt::format("line {}, column {}: not valid YAML ({})", e.mark.line + 1,
                                           e.mark.column + 1, e.msg)});
  }
}

}  // namespace mcproxy::config
