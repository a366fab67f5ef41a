#pragma once
// One byte sequence per JSON value, whatever the spacing, member order or number spelling it
// was written with: RFC 8785, the JSON Canonicalization Scheme (JCS). What is hashed or signed
// (tool-definition pins) must not change when a server re-serializes the same definition.
//
// - objects: members sorted by name, names compared as UTF-16 code units (as JavaScript
//   sorts them, so U+10000 and above sort before U+E000..U+FFFF);
// - no whitespace;
// - strings: only `"` `\` and the control characters escaped (\b \f \n \r \t, the others as
//   \u00xx), everything else as raw UTF-8;
// - numbers as ECMAScript's Number.prototype.toString writes them (shortest round-trip
//   digits, "1e+21", "1e-7", "0.000001", -0 as "0"); int64/uint64 values, always below 1e21,
//   as their exact decimal.
//
// Boost.JSON has no NaN nor Infinity, so every value has a canonical form. A string that is
// not valid UTF-8 (only a value built in code can hold one; the parser refuses them) is
// written byte for byte, and its invalid bytes sort as U+FFFD. Recursive: the depth is the
// value's own, bounded where it was parsed.

#include <boost/json/value.hpp>

#include <string>

namespace mcproxy::support {

std::string canonical_json(const boost::json::value& value);

}  // namespace mcproxy::support
