#pragma once
// The LibreTranslate engine: any server speaking LibreTranslate's HTTP API (the open-source
// LibreTranslate itself, self-hosted or libretranslate.com, and the services that copied its
// API). One batch is one or more `POST {url}/translate` with {"q": [texts], "source", "target",
// "format": "text", "api_key"} answered by {"translatedText": [texts]}; a batch larger than
// `batchTexts` texts or `batchBytes` bytes is sent in slices, one after another, so a server's
// --batch-limit / --char-limit is respected. The API key never reaches a log or an error.

#include "modules/translation_engine.hpp"

#include <chrono>
#include <set>
#include <string>

namespace mcproxy::modules {

struct LibreTranslateOptions {
  std::string url;      // the server's base URL, e.g. "http://127.0.0.1:5000"
  std::string api_key;  // empty: none sent
  std::string source = "en";
  std::set<std::string> languages;  // targets it may be asked for
  std::chrono::milliseconds timeout{30000};
  std::size_t batch_texts = 50;
  std::size_t batch_bytes = 20000;
  std::string ca_file;
  bool insecure = false;
};

class LibreTranslateEngine final : public TranslationEngine {
 public:
  // Throws std::runtime_error for a URL that is not absolute http(s).
  explicit LibreTranslateEngine(LibreTranslateOptions options);
  const std::string& kind() const noexcept override { return kind_; }
  bool supports(std::string_view language) const override { return options_.languages.contains(std::string(language)); }
  boost::asio::awaitable<std::vector<std::string>> translate(std::vector<std::string> texts,
                                                             std::string language) override;

 private:
  LibreTranslateOptions options_;
  std::string target_;  // the request target of /translate under the base URL's path
  std::string kind_ = "libretranslate";
};

// The slices [begin, end) of `texts` one request carries (exposed for tests).
std::vector<std::pair<std::size_t, std::size_t>> libretranslate_slices(const std::vector<std::string>& texts,
                                                                       std::size_t max_texts, std::size_t max_bytes);

}  // namespace mcproxy::modules
