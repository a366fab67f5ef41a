#pragma once
// Hashes and encodings that identity checks need (API-key digests, JWS parts, pins, audit
// argument hashes), on OpenSSL: nothing here is hand-rolled cryptography.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mcproxy::support {

// SHA-256 of `data`: 32 raw bytes, or 64 lowercase hex characters.
std::string sha256_bytes(std::string_view data);
std::string sha256_hex(std::string_view data);

// HMAC-SHA256 of `data` under `key`: 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

// `count` bytes from OpenSSL's CSPRNG (keys, unguessable ids). Throws std::runtime_error.
std::string random_bytes(std::size_t count);

// Equal contents, in time that depends on the length only (secrets are compared with it).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// RFC 4648 §5 base64url without padding; decode also accepts trailing '=' and refuses any
// other character outside the alphabet.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace mcproxy::support
