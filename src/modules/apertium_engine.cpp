#include "modules/apertium_engine.hpp"

#include "transport/run_once.hpp"

#include <fmt/format.h>

#include <array>
#include <stdexcept>
#include <utility>

namespace mcproxy::modules {

using boost::asio::awaitable;

std::string apertium_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '\\': case '^': case '$': case '@': case '[': case ']': case '{': case '}': case '/': case '<':
      case '>':
        out += '\\', out += c;
        break;
      case '\n': out += "[<nl>]"; break;  // one text per line: its own newlines travel as format
      case '\r': break;
      default: out += c;
    }
  }
  return out;
}

std::vector<std::string> apertium_split_output(std::string_view output, std::size_t count) {
  std::vector<std::string> texts;
  std::string current;
  for (std::size_t i = 0; i < output.size() && texts.size() < count; ++i) {
    char c = output[i];
    if (c == '\\' && i + 1 < output.size()) {
      current += output[++i];
    } else if (c == '[') {
      std::size_t close = i + 1;
      while (close < output.size() && output[close] != ']') close += output[close] == '\\' ? 2 : 1;
      std::string_view blank = output.substr(i + 1, close - i - 1);
      if (blank == "<nl>") {
        current += '\n';
      } else if (blank.size() > 2 && blank.front() == '@' && blank.back() == '@') {
        texts.push_back(std::move(current));  // the end of one text: skip its full stop and newline
        current.clear();
        close = output.find('\n', close);
        if (close == std::string_view::npos) close = output.size();
      }
      i = close;
    } else {
      current += c;
    }
  }
  if (texts.size() != count)
    throw std::runtime_error(fmt::format("apertium answered {} text(s) of {}", texts.size(), count));
  return texts;
}

std::string apertium_mode_for(std::string_view source, std::string_view target) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> iso3{{
      {"en", "eng"}, {"es", "spa"}, {"ca", "cat"}, {"fr", "fra"}, {"pt", "por"}, {"it", "ita"}, {"gl", "glg"},
      {"oc", "oci"}, {"eo", "epo"}, {"ro", "ron"}, {"eu", "eus"}, {"nb", "nob"}, {"nn", "nno"}, {"de", "deu"}}};
  auto code = [](std::string_view two) -> std::string_view {
    for (auto& [a, b] : iso3)
      if (a == two) return b;
    return {};
  };
  auto from = code(source), to = code(target);
  if (from.empty() || to.empty()) return {};
  return fmt::format("{}-{}", from, to);
}

awaitable<std::vector<std::string>> ApertiumEngine::translate(std::vector<std::string> texts, std::string language) {
  auto mode = options_.modes.find(language);
  if (mode == options_.modes.end()) throw std::runtime_error(fmt::format("no Apertium mode for \"{}\"", language));
  if (texts.empty()) co_return texts;
  std::string input;
  for (std::size_t i = 0; i < texts.size(); ++i) input += fmt::format("{}[@{}@].\n", apertium_escape(texts[i]), i);
  transport::RunOnceOptions run;
  run.command = options_.command;
  run.args = {"-f", "none", "-u", mode->second};
  run.timeout = options_.timeout;
  auto result = co_await transport::run_once(std::move(run), std::move(input));
  if (result.exit_code != 0)
    throw std::runtime_error(fmt::format("apertium {} exited with status {}: {}", mode->second, result.exit_code,
                                         result.error_tail));
  co_return apertium_split_output(result.output, texts.size());
}

}  // namespace mcproxy::modules
