#pragma once
// The requestState MCProxy mints when it suspends a request for its client's input (the era
// bridge, input_bridge.hpp). Clients must echo it untouched, and must be distrusted: it is
//   "mcpx1." base64url(claims JSON) "." base64url(HMAC-SHA256(key, "mcpx1." base64url(claims)))
// The claims name the suspension, the instance holding it ([9 of 9] forwards between
// instances that share the key), when it expires, and what it is bound to: a hash of the
// identity, the method and the name of the request. A state that fails any of these is refused.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace mcproxy::proxy {

struct RequestStateClaims {
  std::string suspension;  // the suspended request's random id
  std::string instance;    // the MCProxy instance that holds it
  std::int64_t expires_ms = 0;  // Unix time, milliseconds
  std::string identity;    // a digest of the identity that started it (never the name itself)
  std::string method;
  std::string name;        // tool or prompt name, or resource URI
};

class RequestStateSigner {
 public:
  static constexpr std::size_t kMaxBytes = 4096;  // a longer one is refused before any parsing
  // An empty key is replaced by a random one (states then die with the process).
  explicit RequestStateSigner(std::string key);

  // Whether `state` has MCProxy's form (else it is a backend's own, passed on unchanged).
  static bool ours(std::string_view state) noexcept;
  // The digest of an identity name that claims carry.
  static std::string identity_digest(std::string_view identity);

  std::string mint(const RequestStateClaims& claims) const;
  // The claims, or why the state is refused (shown to the client; it names no secret).
  std::variant<RequestStateClaims, std::string> verify(std::string_view state,
                                                       std::chrono::system_clock::time_point now) const;

 private:
  std::string key_;
};

}  // namespace mcproxy::proxy
