#pragma once
// The factory registry: maps a config `type` to a factory that validates that middleware's
// config (no I/O) and returns a maker of instances. Each middleware's .cpp registers itself
// with one line at its bottom:
//
//   MCPROXY_REGISTER_MIDDLEWARE(tool_filter, {"tool_filter", Scope::client, "hide tools...", &parse});
//
// The line runs during static initialisation; the core is an OBJECT library, so the linker
// keeps every registration (a static archive could drop an unreferenced object file).

#include "config/json_reader.hpp"
#include "middleware/service.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mcproxy::middleware {

// `any`: the middleware works at either level (e.g. content_filter on one server's results, or
// on every result).
enum class Scope { client, proxy, any };
std::string_view to_string(Scope s) noexcept;

// Where an instance sits: the backend's name for client middleware, empty for proxy middleware.
struct Site {
  std::string server;
};

// Builds an instance of a validated middleware where it is placed. A proxy middleware whose
// state belongs to one client may ask for an instance per session (built from the same
// immutable config when the session starts, as Envoy builds a filter per stream); most share
// one instance and keep what is per session in Session::state.
struct Maker {
  using Make = std::function<std::shared_ptr<Middleware>(const Site&)>;
  Maker(Make make_fn, bool one_per_session = false)
      : make(std::move(make_fn)), per_session(one_per_session) {}
  std::shared_ptr<Middleware> operator()(const Site& site) const { return make(site); }

  Make make;
  bool per_session = false;
};
// Validates `config` (the spec's "config" object, at `path`), recording every problem in
// `reader`; returns a maker when the config is valid.
using Factory = std::function<std::optional<Maker>(const json::object& config,
                                                   config::JsonReader& reader,
                                                   const std::string& path)>;

struct Registration {
  std::string type;
  Scope scope;
  std::string summary;
  Factory factory;
};

class Registry {
 public:
  static Registry& instance();
  // Returns true so it can initialise a static; a duplicate type is a programming error.
  bool add(Registration registration);
  const Registration* find(std::string_view type) const;
  std::vector<const Registration*> all() const;  // sorted by type

 private:
  std::vector<Registration> registrations_;
};

}  // namespace mcproxy::middleware

#define MCPROXY_REGISTER_MIDDLEWARE(id, ...)                                             \
  namespace {                                                                            \
  [[maybe_unused]] const bool mcproxy_registered_##id =                                  \
      ::mcproxy::middleware::Registry::instance().add(::mcproxy::middleware::Registration __VA_ARGS__); \
  }
