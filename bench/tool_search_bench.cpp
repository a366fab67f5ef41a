// tool_search over a large synthetic catalogue: index build time and query latency.
// Prints one JSON object. Not a test: numbers vary with the machine.
//
//   build/bench/tool_search_bench [tools=10000] [queries=2000]

#include "middleware/proxy/tool_search.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::size_t tool_count = argc > 1 ? std::stoul(argv[1]) : 10'000;
  std::size_t query_count = argc > 2 ? std::stoul(argv[2]) : 2'000;

  // Synthetic but word-rich: verbs x objects x domains, like real MCP servers' tools.
  const std::array verbs = {"read", "write", "list", "search", "create", "delete", "update", "fetch",
                            "send", "query", "move", "copy", "summarize", "analyze", "convert"};
  const std::array objects = {"file", "directory", "issue", "pull request", "email", "message", "table",
                              "record", "image", "document", "calendar event", "ticket", "branch",
                              "commit", "invoice", "customer", "page", "note", "task", "log"};
  const std::array domains = {"github", "gitlab", "slack", "gmail", "postgres", "sqlite", "s3",
                              "drive", "notion", "jira", "linear", "stripe", "calendar", "local",
                              "browser", "docker", "kubernetes", "sentry", "datadog", "figma"};
  std::mt19937 rng(42);
  json::array tools;
  tools.reserve(tool_count);
  for (std::size_t i = 0; i < tool_count; ++i) {
    std::string verb = verbs[rng() % verbs.size()];
    std::string object = objects[rng() % objects.size()];
    std::string domain = domains[rng() % domains.size()];
    std::string name = fmt::format("{}__{}_{}_{}", domain, verb, object, i);
    std::replace(name.begin(), name.end(), ' ', '_');
    tools.push_back(json::object{
        {"name", name},
        {"description", fmt::format("{} a {} in {}. Returns the {} as JSON; fails when access is denied.",
                                    verb, object, domain, object)},
        {"inputSchema",
         json::object{{"type", "object"},
                      {"properties", json::object{{"id", json::object{{"type", "string"},
                                                                      {"description", fmt::format("the {} id", object)}}},
                                                  {"path", json::object{{"type", "string"}}}}}}}});
  }

  mcproxy::middleware::ToolIndex index;
  auto build_start = Clock::now();
  index.build(tools);
  double build_ms = std::chrono::duration<double, std::milli>(Clock::now() - build_start).count();

  std::vector<std::string> queries;
  for (std::size_t i = 0; i < query_count; ++i)
    queries.push_back(fmt::format("{} {} {}", verbs[rng() % verbs.size()], objects[rng() % objects.size()],
                                  i % 3 == 0 ? domains[rng() % domains.size()] : ""));
  std::vector<double> latencies_us;
  latencies_us.reserve(query_count);
  std::size_t hits = 0;
  for (auto& q : queries) {
    auto t0 = Clock::now();
    hits += index.search(q, 10).size();
    latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double p) { return latencies_us[std::min(latencies_us.size() - 1, static_cast<std::size_t>(p * latencies_us.size()))]; };
  std::string out = fmt::format(
      R"({{"benchmark":"tool_search","tools":{},"queries":{},"index_build_ms":{:.1f},)"
      R"("query_p50_us":{:.0f},"query_p99_us":{:.0f},"query_max_us":{:.0f},"mean_hits":{:.2f}}})",
      tool_count, query_count, build_ms, pct(0.50), pct(0.99), latencies_us.back(),
      static_cast<double>(hits) / static_cast<double>(query_count));
  std::puts(out.c_str());
}
