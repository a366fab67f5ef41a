#pragma once
// A machine-translation engine as the translate middleware uses it: a batch of plain texts in
// the source language in, the same number of texts in the target language out, in order.
// Engines: Apertium (apertium_engine.hpp), LibreTranslate's HTTP API (libretranslate_engine.hpp).

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::modules {

class TranslationEngine {
 public:
  virtual ~TranslationEngine() = default;
  // "apertium", "libretranslate": a label of the /metrics series and a part of the cache key.
  virtual const std::string& kind() const noexcept = 0;
  // Whether it can translate from the source language into `language` (an ISO 639-1 code).
  virtual bool supports(std::string_view language) const = 0;
  // Throws std::runtime_error (a message for the logs) when the engine fails.
  virtual boost::asio::awaitable<std::vector<std::string>> translate(std::vector<std::string> texts,
                                                                     std::string language) = 0;
};

}  // namespace mcproxy::modules
