#include "support/redaction.hpp"

#include <algorithm>
#include <atomic>

namespace mcproxy::support {

namespace {

struct Secrets {
  std::vector<std::string> values;  // longest first, so a secret that contains another goes whole
};

std::atomic<std::shared_ptr<const Secrets>>& current() {
  static std::atomic<std::shared_ptr<const Secrets>> secrets{std::make_shared<const Secrets>()};
  return secrets;
}

std::shared_ptr<const Secrets> snapshot() { return current().load(); }

constexpr std::size_t kMinFreeTextSecret = 4;

}  // namespace

void set_secrets(std::vector<std::string> secrets) {
  auto next = std::make_shared<Secrets>();
  for (auto& s : secrets)
    if (s.size() >= kMinFreeTextSecret) next->values.push_back(std::move(s));
  std::sort(next->values.begin(), next->values.end(),
            [](auto& a, auto& b) { return a.size() > b.size(); });
  next->values.erase(std::unique(next->values.begin(), next->values.end()), next->values.end());
  current().store(std::shared_ptr<const Secrets>(std::move(next)));
}

bool holds_secret(std::string_view text) {
  auto secrets = snapshot();
  for (auto& s : secrets->values)
    if (text.find(s) != std::string_view::npos) return true;
  return false;
}

std::string redact(std::string_view text) {
  auto secrets = snapshot();
  std::string out(text);
  for (auto& s : secrets->values) {
    for (auto pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos + kRedacted.size()))
      out.replace(pos, s.size(), kRedacted);
  }
  return out;
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    auto authority_start = scheme + 3;
    auto authority_end = out.find_first_of("/?#", authority_start);
    if (authority_end == std::string::npos) authority_end = out.size();
    auto at = out.rfind('@', authority_end);
    if (at != std::string::npos && at >= authority_start) {
      out.replace(authority_start, at - authority_start, kRedacted);
    }
  }
  if (auto query = out.find('?'); query != std::string::npos) {
    auto end = out.find('#', query);
    if (end == std::string::npos) end = out.size();
    std::string rebuilt;
    std::string_view q(out.data() + query + 1, end - query - 1);
    while (!q.empty()) {
      auto amp = q.find('&');
      auto pair = q.substr(0, amp);
      auto eq = pair.find('=');
      if (!rebuilt.empty()) rebuilt += '&';
      rebuilt += eq == std::string_view::npos ? std::string(pair)
                                              : std::string(pair.substr(0, eq + 1)) + std::string(kRedacted);
      q.remove_prefix(amp == std::string_view::npos ? q.size() : amp + 1);
    }
    out.replace(query + 1, end - query - 1, rebuilt);
  }
  return redact(out);
}

}  // namespace mcproxy::support
