#pragma once
// Reading a request's params the way middleware does: a member that is a string, or nothing
// (a missing or non-string member is the empty view; the next link reports it properly).

#include <boost/json/object.hpp>

#include <string_view>

namespace mcproxy::middleware {

inline std::string_view string_field(const boost::json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

}  // namespace mcproxy::middleware
