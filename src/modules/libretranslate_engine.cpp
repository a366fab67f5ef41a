#include "modules/libretranslate_engine.hpp"

#include "support/redaction.hpp"
#include "transport/http_client.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace mcproxy::modules {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using asio::awaitable;

namespace {

constexpr std::size_t kMaxResponseBytes = 16u << 20;

// What a failing server said, short and printable, with the API key out of it.
std::string server_error(const std::string& body, const std::string& api_key) {
  std::string said;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (!ec && v.is_object())
    if (auto* e = v.get_object().if_contains("error"); e && e->is_string()) said = e->get_string();
  if (said.empty()) said = body.substr(0, 200);
  if (said.size() > 200) said = said.substr(0, 200) + "...";
  for (char& c : said)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (!api_key.empty())
    for (auto at = said.find(api_key); at != std::string::npos; at = said.find(api_key))
      said.replace(at, api_key.size(), support::kRedacted);
  return support::redact(said);
}

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> libretranslate_slices(const std::vector<std::string>& texts,
                                                                       std::size_t max_texts, std::size_t max_bytes) {
  std::vector<std::pair<std::size_t, std::size_t>> slices;
  std::size_t begin = 0, bytes = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    bool full = i > begin && (i - begin >= max_texts || bytes + texts[i].size() > max_bytes);
    if (full) {
      slices.emplace_back(begin, i);
      begin = i;
      bytes = 0;
    }
    bytes += texts[i].size();  // a single text over max_bytes still goes, alone
  }
  if (begin < texts.size()) slices.emplace_back(begin, texts.size());
  return slices;
}

LibreTranslateEngine::LibreTranslateEngine(LibreTranslateOptions options) : options_(std::move(options)) {
  auto url = transport::HttpUrl::parse(options_.url);
  std::string path = url.target.substr(0, url.target.find('?'));
  while (!path.empty() && path.back() == '/') path.pop_back();
  target_ = path + "/translate";
}

awaitable<std::vector<std::string>> LibreTranslateEngine::translate(std::vector<std::string> texts,
                                                                    std::string language) {
  if (!supports(language)) throw std::runtime_error(fmt::format("LibreTranslate is not set up for \"{}\"", language));
  if (texts.empty()) co_return texts;
  // A client per batch, on the batch's executor: batches are rare (the cache answers the rest),
  // and a client shared by batches on different threads would need a lock around its pool.
  transport::HttpClientOptions client_options;
  client_options.name = "libretranslate";
  client_options.ca_file = options_.ca_file;
  client_options.insecure = options_.insecure;
  client_options.connect_timeout = options_.timeout;
  auto executor = co_await asio::this_coro::executor;
  auto url = transport::HttpUrl::parse(options_.url);
  transport::HttpClient client(executor, url, client_options);

  std::vector<std::string> out;
  out.reserve(texts.size());
  for (auto [begin, end] : libretranslate_slices(texts, options_.batch_texts, options_.batch_bytes)) {
    json::array q;
    for (std::size_t i = begin; i < end; ++i) q.emplace_back(texts[i]);
    json::object body{{"q", std::move(q)}, {"source", options_.source}, {"target", language}, {"format", "text"}};
    if (!options_.api_key.empty()) body["api_key"] = options_.api_key;
    http::request<http::string_body> req(http::verb::post, target_, 11);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::accept, "application/json");
    req.body() = json::serialize(body);
    req.prepare_payload();
    auto response = co_await client.fetch(std::move(req), options_.timeout, kMaxResponseBytes);
    if (response.status != 200)
      throw std::runtime_error(fmt::format("LibreTranslate {} answered HTTP {}: {}", support::redact_url(options_.url),
                                           response.status, server_error(response.body, options_.api_key)));
    boost::system::error_code ec;
    auto answer = json::parse(response.body, ec);
    const json::value* translated = nullptr;
    if (!ec && answer.is_object()) translated = answer.get_object().if_contains("translatedText");
    std::size_t count = end - begin;
    if (translated && translated->is_string() && count == 1) {
      out.emplace_back(translated->get_string());
      continue;
    }
    auto* list = translated ? translated->if_array() : nullptr;
    bool fits = list && list->size() == count &&
                std::all_of(list->begin(), list->end(), [](const json::value& t) { return t.is_string(); });
    if (!fits)
      throw std::runtime_error(fmt::format("LibreTranslate {} did not answer {} translatedText string(s)",
                                           support::redact_url(options_.url), count));
    for (auto& t : *list) out.emplace_back(t.get_string());
  }
  client.stop();
  co_return out;
}

}  // namespace mcproxy::modules
