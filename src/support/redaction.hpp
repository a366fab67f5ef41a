#pragma once
// Keeps secrets out of everything MCProxy shows: logs, /health, errors sent to clients,
// `mcproxy check` and `list`. A secret is every value that came into the configuration from a
// ${VAR} substitution (the environment or a credentials file); URLs also lose their user-info
// and the values of their query parameters, whatever they came from. The set is an immutable
// snapshot replaced at start-up and on reload, so any thread may read it.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::support {

inline constexpr std::string_view kRedacted = "***";

// Replaces the secrets (the previous set is dropped). Values shorter than four characters are
// ignored: replacing "1" or "on" everywhere would garble every line and hide nothing.
void set_secrets(std::vector<std::string> secrets);

// `text` with every known secret replaced by "***". Returns the text unchanged (no copy made
// by the caller's view) when it holds none.
std::string redact(std::string_view text);
// Whether `text` holds a known secret.
bool holds_secret(std::string_view text);

// A URL for display: user-info becomes "***@", each query value "***", then redact().
std::string redact_url(std::string_view url);

}  // namespace mcproxy::support
