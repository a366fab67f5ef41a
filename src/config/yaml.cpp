// YAML configs (yaml-cpp, from Debian's libyaml-cpp-dev): turned into the JSON document the
// JSON reader validates, so both formats share one schema and the same error paths.

#include "config/config.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

namespace mcproxy::config {

namespace {

namespace json = boost::json;

// yaml-cpp's parser recurses once per level of nesting (its own guard only stops at 2000), and
// so does convert() below, without any bound once aliases are followed. Configs need a handful
// of levels: the text is refused past this many, before YAML::Load builds anything.
constexpr int kMaxNesting = 64;
// Aliases let a small text expand into a huge document ("billion laughs"): a bound on the values
// once they are expanded.
constexpr std::size_t kMaxValues = 100'000;

std::string too_deep(const YAML::Mark& mark) {
  return fmt::format("line {}, column {}: nested deeper than {} levels (the limit for YAML configs)",
                     mark.line + 1, mark.column + 1, kMaxNesting);
}

// A first pass over yaml-cpp's events, which arrive as each collection opens, before the parser
// goes one level deeper: it stops the parse at the first collection past the limit, so neither
// that parse nor YAML::Load below recurses deeper than kMaxNesting + 1 levels.
class NestingLimit final : public YAML::EventHandler {
 public:
  explicit NestingLimit(const std::string& source) : source_(source) {}
  void OnDocumentStart(const YAML::Mark&) override { depth_ = 0; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    open(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    open(mark);
  }
  void OnMapEnd() override { --depth_; }

 private:
  void open(const YAML::Mark& mark) {
    if (++depth_ > kMaxNesting) throw ConfigError(source_, {too_deep(mark)});
  }
  const std::string& source_;
  int depth_ = 0;
};

// The first document only, as YAML::Load reads (asking yaml-cpp 0.7 for the documents after
// it can loop forever on some malformed texts).
void check_nesting(const std::string& text, const std::string& source) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  NestingLimit limit(source);
  parser.HandleNextDocument(limit);
}

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

// `depth` and `values` bound what aliases can build: an alias inside its own anchor
// (`&a [*a]`) is a cycle, and nested aliases multiply.
json::value convert(const YAML::Node& node, const std::string& source, int depth, std::size_t& values) {
  if (++values > kMaxValues) {
    throw ConfigError(source, {fmt::format("more than {} values once aliases are expanded (the limit "
                                           "for YAML configs)",
                                           kMaxValues)});
  }
  if (depth > kMaxNesting) {
    throw ConfigError(source, {fmt::format("nested deeper than {} levels once aliases are expanded "
                                           "(the limit for YAML configs; is an alias inside its own "
                                           "anchor?)",
                                           kMaxNesting)});
  }
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return scalar(node);
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& item : node) a.push_back(convert(item, source, depth + 1, values));
      return a;
    }
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : node)
        o[kv.first.as<std::string>()] = convert(kv.second, source, depth + 1, values);
      return o;
    }
  }
  return nullptr;
}

}  // namespace

boost::json::value yaml_to_json(const std::string& text, const std::string& source) {
  try {
    check_nesting(text, source);
    std::size_t values = 0;
    return convert(YAML::Load(text), source, 0, values);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source, {fmt::format("line {}, column {}: not valid YAML ({})", e.mark.line + 1,
                                           e.mark.column + 1, e.msg)});
  }
}

}  // namespace mcproxy::config
