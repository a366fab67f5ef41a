// Fuzzes the configuration reader: the same text as a JSON file (boost::json::parse, then
// config::parse_config) and as a YAML file (config::yaml_to_json, then parse_config), and
// middleware::compile_plan on every config that validated (each middleware factory checks its
// own config: patterns, limits, presets).
//
// Allowed to fail only with config::ConfigError, which must list at least one problem.
// Invariant: a config that validated has the settings the reader promises (named servers, a
// transport for each, an HTTP path that starts with '/').

#include "config/config.hpp"
#include "fuzz_support.hpp"
#include "middleware/plan.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace config = mcproxy::config;

const std::vector<std::pair<std::string, std::string>> kCredentials = {
    {"MCPROXY_FUZZ_TOKEN", "secret-token"}, {"EMPTY", ""}};

void check(const boost::json::value& document) {
  config::Config c;
  try {
    c = config::parse_config(document, "<fuzz>", kCredentials);
  } catch (const config::ConfigError& e) {
    FUZZ_CHECK(!e.problems().empty());
    return;
  }
  for (auto& s : c.servers) {
    FUZZ_CHECK(!s.name.empty());
    if (s.transport == config::ServerTransport::stdio) FUZZ_CHECK(!s.command.empty());
    else FUZZ_CHECK(!s.url.empty());
  }
  FUZZ_CHECK(!c.http.path.empty() && c.http.path.front() == '/');
  try {
    mcproxy::middleware::Plan plan = mcproxy::middleware::compile_plan(c);
    (void)plan;
  } catch (const config::ConfigError& e) {
    FUZZ_CHECK(!e.problems().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mcproxy::fuzz::quiet_logging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);

  boost::system::error_code ec;
  boost::json::value document = boost::json::parse(text, ec);
  if (!ec) check(document);

  boost::json::value from_yaml;
  try {
    from_yaml = config::yaml_to_json(text, "<fuzz>.yaml");
  } catch (const config::ConfigError& e) {
    FUZZ_CHECK(!e.problems().empty());
    return 0;
  }
  check(from_yaml);
  return 0;
}
