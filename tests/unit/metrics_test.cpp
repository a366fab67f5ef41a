// The Prometheus text exposition (families, label escaping, histogram series), histogram
// quantiles, the bounded tool series of a backend, and W3C traceparent parsing.
#include "mcp/trace_context.hpp"
#include "proxy/proxy_metrics.hpp"
#include "support/metrics.hpp"
#include "support/process_stats.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
using mcproxy::mcp::TraceContext;
using mcproxy::support::Exposition;
using mcproxy::support::Histogram;

TEST_CASE("exposition: HELP and TYPE once per family, samples with escaped labels") {
  Exposition out;
  out.family("mcproxy_x_total", "Things\nwith a \\ backslash", Exposition::Type::counter);
  out.sample("mcproxy_x_total", {{"tool", "say \"hi\"\\now\nplease"}, {"server", "s"}}, std::uint64_t{3});
  out.sample("mcproxy_x_total", {}, std::uint64_t{0});
  out.family("g", "a gauge", Exposition::Type::gauge);
  out.sample("g", {}, -2.5);
  CHECK(out.text() ==
        "# HELP mcproxy_x_total Things\\nwith a \\\\ backslash\n"
        "# TYPE mcproxy_x_total counter\n"
        "mcproxy_x_total{tool=\"say \\\"hi\\\"\\\\now\\nplease\",server=\"s\"} 3\n"
        "mcproxy_x_total 0\n"
        "# HELP g a gauge\n# TYPE g gauge\ng -2.5\n");
}

TEST_CASE("exposition: a histogram has cumulative buckets, +Inf equal to _count, and _sum in seconds") {
  Histogram h;
  h.observe(300us);   // <= 0.0005
  h.observe(2ms);     // <= 0.0025
  h.observe(2ms);
  h.observe(90s);     // +Inf only
  Exposition out;
  out.family("d", "durations", Exposition::Type::histogram);
  out.histogram("d", {{"m", "tools/call"}}, h);
  const std::string& text = out.text();
  CHECK(text.find("d_bucket{m=\"tools/call\",le=\"0.0005\"} 1\n") != std::string::npos);
  CHECK(text.find("d_bucket{m=\"tools/call\",le=\"0.001\"} 1\n") != std::string::npos);
  CHECK(text.find("d_bucket{m=\"tools/call\",le=\"0.0025\"} 3\n") != std::string::npos);
  CHECK(text.find("d_bucket{m=\"tools/call\",le=\"60\"} 3\n") != std::string::npos);
  CHECK(text.find("d_bucket{m=\"tools/call\",le=\"+Inf\"} 4\n") != std::string::npos);
  CHECK(text.find("d_count{m=\"tools/call\"} 4\n") != std::string::npos);
  CHECK(text.find("d_sum{m=\"tools/call\"} 90.0043\n") != std::string::npos);
}

TEST_CASE("histogram quantiles interpolate inside the bucket, as histogram_quantile does") {
  Histogram h;
  CHECK(h.quantile(0.5) < 0);  // nothing observed
  for (int i = 0; i < 10; ++i) h.observe(7ms);  // all in (0.005, 0.01]
  CHECK(h.quantile(0.5) == doctest::Approx(0.0075));
  CHECK(h.quantile(1.0) == doctest::Approx(0.01));
  for (int i = 0; i < 90; ++i) h.observe(200us);  // 90 in [0, 0.0005]
  CHECK(h.quantile(0.5) < 0.0005);
  CHECK(h.quantile(0.99) > 0.005);
}

TEST_CASE("a backend's tool series: a name the server lists gets its own, anything else is _other") {
  mcproxy::proxy::BackendStats stats;
  auto listed = [](std::string_view name) { return name == "echo"; };
  stats.tool("echo", listed).calls[0].add();
  stats.tool("echo", listed).calls[0].add();
  stats.tool("made-up-by-a-client", listed).calls[2].add();
  stats.tool("another-one", listed).calls[2].add();
  REQUIRE(stats.tools().size() == 2);
  CHECK(stats.tools().at("echo")->total() == 2);
  CHECK(stats.tools().at("_other")->total() == 2);
  CHECK(stats.tools().at("_other")->failed() == 2);
}

TEST_CASE("traceparent: version 00 parsed, invalid forms refused, a hop continues the trace") {
  auto t = TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(t);
  CHECK(t->trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(t->span_id == "00f067aa0ba902b7");
  CHECK(t->flags == 1);
  CHECK_FALSE(TraceContext::parse(""));
  CHECK_FALSE(TraceContext::parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));  // zero trace
  CHECK_FALSE(TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));  // zero parent
  CHECK_FALSE(TraceContext::parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));  // upper case
  CHECK_FALSE(TraceContext::parse("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));  // version ff
  CHECK_FALSE(TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"));
  CHECK(TraceContext::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future"));  // later version

  auto next = TraceContext::continue_from(t);
  CHECK(next.trace_id == t->trace_id);
  CHECK(next.span_id.size() == 16);
  CHECK(next.span_id != t->span_id);
  CHECK(next.traceparent() == "00-4bf92f3577b34da6a3ce929d0e0e4736-" + next.span_id + "-01");
  auto fresh = TraceContext::continue_from(std::nullopt);
  CHECK(fresh.trace_id.size() == 32);
  CHECK(TraceContext::parse(fresh.traceparent()));
  CHECK(fresh.trace_id != TraceContext::continue_from(std::nullopt).trace_id);
}

TEST_CASE("process stats come from /proc") {
  auto p = mcproxy::support::read_process_stats();
  CHECK(p.resident_bytes > 0);
  CHECK(p.open_fds >= 3);
  CHECK(p.max_fds >= p.open_fds);
  CHECK(p.threads >= 1);
  auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(p.start_time_seconds > now - 3600);
  CHECK(p.start_time_seconds <= now + 1);
}
