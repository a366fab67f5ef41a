#pragma once
// Credentials a remote backend's transport asks for on every request, from something that can
// change them meanwhile (oauth/upstream_auth.hpp: tokens that expire, refresh, and need a
// login). The transport knows nothing of how they are obtained.

#include <boost/asio/awaitable.hpp>

#include <string>

namespace mcproxy::transport {

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // The Authorization header for the next request; empty for none.
  virtual std::string authorization() = 0;
  // The server refused the request: 401, or 403 with a challenge (insufficient_scope).
  // `www_authenticate` is its WWW-Authenticate header. True: new credentials are in hand and
  // the request may be sent once more; false: refusal() says what the user must do.
  virtual boost::asio::awaitable<bool> refused(unsigned status, std::string www_authenticate) = 0;
  // Why requests fail and what to do about it (a login, with its URL), for the request's error.
  virtual std::string refusal() const = 0;
  // A request got through (2xx): what the credentials allowed was enough.
  virtual void accepted() {}
};

}  // namespace mcproxy::transport
