#pragma once
// The Apertium engine (Debian's `apertium` plus a pair such as `apertium-eng-spa`): an offline,
// rule-based translator. One `apertium -f none -u MODE` run translates a whole batch (a
// tools/list's texts): each text is one line of Apertium's stream format, special characters
// escaped, ended by a numbered superblank and a full stop so that no rule reorders words
// across two texts; the output is split at those superblanks. A run per batch, not one
// pipeline kept open: lttoolbox 3.7's `lt-proc -b` (a stage of every pair) does not flush on
// the NUL of `-z`, so a kept pipeline would hold its answer until its input ended.

#include "modules/translation_engine.hpp"

#include <chrono>
#include <map>
#include <string>

namespace mcproxy::modules {

struct ApertiumOptions {
  std::string command = "apertium";
  std::map<std::string, std::string> modes;  // target language -> Apertium mode ("es" -> "eng-spa")
  std::chrono::milliseconds timeout{30000};
};

class ApertiumEngine final : public TranslationEngine {
 public:
  explicit ApertiumEngine(ApertiumOptions options) : options_(std::move(options)) {}
  const std::string& kind() const noexcept override { return kind_; }
  bool supports(std::string_view language) const override { return options_.modes.contains(std::string(language)); }
  boost::asio::awaitable<std::vector<std::string>> translate(std::vector<std::string> texts,
                                                             std::string language) override;

 private:
  ApertiumOptions options_;
  std::string kind_ = "apertium";
};

// The Apertium stream form of one text, and the texts of one run's output (exposed for tests).
std::string apertium_escape(std::string_view text);
std::vector<std::string> apertium_split_output(std::string_view output, std::size_t count);
// The Apertium mode from `source` to `target` (ISO 639-1 codes), e.g. "eng-spa"; empty when unknown.
std::string apertium_mode_for(std::string_view source, std::string_view target);

}  // namespace mcproxy::modules
