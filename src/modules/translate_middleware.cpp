#include "modules/translate_middleware.hpp"

#include "config/json_reader.hpp"
#include "middleware/counters.hpp"
#include "middleware/registry.hpp"
#include "modules/apertium_engine.hpp"
#include "modules/libretranslate_engine.hpp"
#include "modules/text_segments.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

namespace mcproxy::modules {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using middleware::Call;
using middleware::RequestContext;

namespace {

constexpr std::string_view kLanguageMeta = "mcproxy/language";

struct TranslateConfig {
  std::string language = "es";
  std::string source = "en";
  bool client_language = true;
  bool results = false;
  std::chrono::milliseconds wait{3000};
  std::size_t cache_entries = 20000;
};

// Bounded LRU of translations, keyed by language and text (one engine per state).
class TranslationCache {
 public:
  explicit TranslationCache(std::size_t capacity) : capacity_(capacity) {}
  std::optional<std::string> find(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->second;
  }
  void put(std::string key, std::string value) {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
      it->second->second = std::move(value);
      order_.splice(order_.begin(), order_, it->second);
      return;
    }
    order_.emplace_front(key, std::move(value));
    index_.emplace(std::move(key), order_.begin());
    while (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }

 private:
  std::mutex mutex_;
  std::size_t capacity_;
  std::list<std::pair<std::string, std::string>> order_;
  std::unordered_map<std::string, std::list<std::pair<std::string, std::string>>::iterator> index_;
};

// One batch of texts on its way through the engine; requests that need it wait on it (up to
// their bound) and sessions that got a list without it are told when it is done.
struct Job {
  std::mutex mutex;
  bool done = false;
  std::vector<std::shared_ptr<asio::steady_timer>> waiters;
  struct Listener {
    std::weak_ptr<middleware::Session> session;
    asio::any_io_executor executor;
    mcp::ListKind kind;
  };
  std::vector<Listener> listeners;
};

std::string cache_key(const std::string& language, std::string_view text) {
  std::string key = language;
  key += '\x1f';
  key += text;
  return key;
}

// A translation starts lowercase where the original did (Apertium capitalizes a text as a
// sentence start; a piece of a description between two identifiers is not one).
void match_initial_case(std::string_view original, std::string& translated) {
  if (original.empty() || translated.empty() || !(original[0] >= 'a' && original[0] <= 'z')) return;
  auto& c = translated[0];
  if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  else if (static_cast<unsigned char>(c) == 0xC3 && translated.size() > 1) {
    auto& d = reinterpret_cast<unsigned char&>(translated[1]);
    if (d >= 0x80 && d <= 0x9E && d != 0x97) d = static_cast<unsigned char>(d + 0x20);  // Latin-1 capitals
  }
}

}  // namespace

struct TranslateState : std::enable_shared_from_this<TranslateState> {
  TranslateConfig config;
  std::shared_ptr<TranslationEngine> engine;
  TranslationCache cache;
  std::atomic<std::uint64_t> generation{0};
  std::atomic<std::uint64_t>* hits;
  std::atomic<std::uint64_t>* misses;
  std::atomic<std::uint64_t>* runs;
  std::atomic<std::uint64_t>* failures;
  std::mutex jobs_mutex;
  std::map<std::string, std::shared_ptr<Job>> jobs;  // in flight, by language and texts
  std::map<std::string, std::chrono::steady_clock::time_point> failed_until;  // by language

  TranslateState(TranslateConfig cfg, std::shared_ptr<TranslationEngine> e)
      : config(std::move(cfg)), engine(std::move(e)), cache(config.cache_entries) {
    auto& reg = middleware::CounterRegistry::instance();
    middleware::CounterRegistry::Labels labels{{"engine", engine->kind()}};
    hits = &reg.counter("mcproxy_translate_cache_hits_total", "Texts translate found in its cache", labels);
    misses = &reg.counter("mcproxy_translate_cache_misses_total", "Texts translate had to ask its engine for", labels);
    runs = &reg.counter("mcproxy_translate_engine_runs_total", "Batches translate sent to its engine", labels);
    failures = &reg.counter("mcproxy_translate_engine_failures_total", "Batches its engine failed to translate", labels);
  }

  std::string language_for(const middleware::Session* session, const json::object& params) const {
    if (!config.client_language) return config.language;
    std::string prefs;
    if (auto* meta = params.if_contains("_meta"); meta && meta->is_object())
      if (auto* l = meta->get_object().if_contains(kLanguageMeta); l && l->is_string()) prefs = l->get_string();
    if (prefs.empty() && session) prefs = session->languages();
    for (auto& tag : parse_accept_language(prefs))
      if (tag == config.source || engine->supports(tag)) return tag;
    return config.language;
  }

  // Starts (or joins) the batch translating `texts`.
  std::shared_ptr<Job> job_for(const std::string& language, std::vector<std::string> texts,
                               const asio::any_io_executor& executor) {
    std::string key = language;
    for (auto& t : texts) key += '\x1e' + t;
    std::lock_guard lock(jobs_mutex);
    if (auto it = jobs.find(key); it != jobs.end()) return it->second;
    if (auto f = failed_until.find(language); f != failed_until.end() && f->second > std::chrono::steady_clock::now())
      return nullptr;  // the engine failed a moment ago: not asked again for each list
    auto job = std::make_shared<Job>();
    jobs.emplace(key, job);
    misses->fetch_add(texts.size(), std::memory_order_relaxed);
    asio::co_spawn(executor, run(shared_from_this(), job, key, language, std::move(texts)), asio::detached);
    return job;
  }

  // Static, the state passed in: the batch keeps it alive from before its first step (a reload
  // may drop every middleware that refers to it meanwhile).
  static awaitable<void> run(std::shared_ptr<TranslateState> self, std::shared_ptr<Job> job, std::string key,
                             std::string language, std::vector<std::string> texts) {
    co_await self->run_batch(std::move(job), std::move(key), std::move(language), std::move(texts));
  }

  awaitable<void> run_batch(std::shared_ptr<Job> job, std::string key, std::string language,
                            std::vector<std::string> texts) {
    runs->fetch_add(1, std::memory_order_relaxed);
    bool ok = false;
    try {
      auto out = co_await engine->translate(texts, language);
      for (std::size_t i = 0; i < texts.size(); ++i) {
        match_initial_case(texts[i], out[i]);
        cache.put(cache_key(language, texts[i]), std::string(trim_whitespace(out[i]).core));
      }
      ok = true;
    } catch (const std::exception& e) {
      failures->fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("translate: {} texts into {} failed: {} (served untranslated; tried again in 30 s)", texts.size(),
                   language, e.what());
    }
    if (ok) generation.fetch_add(1, std::memory_order_relaxed);
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;
    std::vector<Job::Listener> listeners;
    {
      std::lock_guard lock(jobs_mutex);
      jobs.erase(key);
      if (!ok) failed_until[language] = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    }
    {
      std::lock_guard lock(job->mutex);
      job->done = true;
      waiters.swap(job->waiters);
      listeners.swap(job->listeners);
    }
    for (auto& t : waiters) asio::post(t->get_executor(), [t] { t->cancel(); });
    if (!ok) co_return;
    for (auto& l : listeners) {
      asio::post(l.executor, [l] {
        auto session = l.session.lock();
        if (!session || session->closed()) return;
        session->notify(std::string(mcp::list_changed_method(l.kind)), json::object{});
      });
    }
  }
};

std::vector<std::string> parse_accept_language(std::string_view header) {
  std::vector<std::pair<double, std::string>> tags;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    double q = 1.0;
    if (auto semi = item.find(';'); semi != std::string_view::npos) {
      auto qpos = item.find("q=", semi);
      if (qpos != std::string_view::npos) q = std::atof(std::string(item.substr(qpos + 2)).c_str());
      item = item.substr(0, semi);
    }
    auto t = trim_whitespace(item).core;
    t = t.substr(0, t.find('-'));
    if (t.empty() || t == "*" || q <= 0 || t.size() > 8) continue;
    std::string tag(t);
    std::transform(tag.begin(), tag.end(), tag.begin(), [](unsigned char c) { return std::tolower(c); });
    tags.emplace_back(q, std::move(tag));
  }
  std::stable_sort(tags.begin(), tags.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& [q, t] : tags)
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
  return out;
}

namespace {

// The strings of a result a translator may change.
void collect_schema(json::value& schema, std::vector<json::string*>& out) {
  if (schema.is_array()) {
    for (auto& v : schema.get_array()) collect_schema(v, out);
    return;
  }
  if (!schema.is_object()) return;
  for (auto& [key, value] : schema.get_object()) {
    if (key == "description" && value.is_string()) out.push_back(&value.get_string());
    else if (key != "default" && key != "examples" && key != "const" && key != "enum") collect_schema(value, out);
  }
}

void collect_item(json::object& item, mcp::ListKind kind, std::vector<json::string*>& out) {
  for (std::string_view key : {"title", "description"})
    if (auto* v = item.if_contains(key); v && v->is_string()) out.push_back(&v->get_string());
  if (kind == mcp::ListKind::tools) {
    for (std::string_view key : {"inputSchema", "outputSchema"})
      if (auto* s = item.if_contains(key)) collect_schema(*s, out);
    if (auto* a = item.if_contains("annotations"); a && a->is_object())
      if (auto* t = a->get_object().if_contains("title"); t && t->is_string()) out.push_back(&t->get_string());
  }
  if (kind == mcp::ListKind::prompts)
    if (auto* args = item.if_contains("arguments"); args && args->is_array())
      for (auto& arg : args->get_array())
        if (arg.is_object())
          for (std::string_view key : {"title", "description"})
            if (auto* v = arg.get_object().if_contains(key); v && v->is_string()) out.push_back(&v->get_string());
}


void collect_content(json::value& content, std::vector<json::string*>& out) {
  if (!content.is_array()) return;
  for (auto& c : content.get_array()) {
    if (!c.is_object()) continue;
    auto& o = c.get_object();
    if (auto* type = o.if_contains("type"); type && type->is_string() && type->get_string() == "text")
      if (auto* t = o.if_contains("text"); t && t->is_string()) out.push_back(&t->get_string());
  }
}

}  // namespace

std::string Translate::list_variant(const middleware::Session* session, const json::object& params) const {
  return fmt::format("{}#{}", state_->language_for(session, params), state_->generation.load(std::memory_order_relaxed));
}

namespace {

// Translates `fields` in place: each text from the cache, the missing ones from one engine
// batch waited for up to `wait` (a field still missing a piece stays as it was).
awaitable<void> translate_fields(TranslateState& state, const std::string& language, std::vector<json::string*>& fields,
                                 std::chrono::milliseconds wait, const RequestContext& ctx,
                                 std::optional<mcp::ListKind> kind) {
  std::vector<std::vector<TextPiece>> split;
  std::unordered_map<std::string, std::string> found;  // text -> translation
  std::set<std::string> missing;
  for (auto* f : fields) {
    split.push_back(split_for_translation(std::string_view(f->data(), f->size())));
    for (auto& p : split.back()) {
      if (!p.prose) continue;
      std::string core(trim_whitespace(p.text).core);
      if (found.contains(core) || missing.contains(core)) continue;
      if (auto t = state.cache.find(cache_key(language, core))) found.emplace(std::move(core), std::move(*t));
      else missing.insert(std::move(core));
    }
  }
  state.hits->fetch_add(found.size(), std::memory_order_relaxed);
  if (!missing.empty()) {
    auto executor = co_await asio::this_coro::executor;
    auto job = state.job_for(language, std::vector<std::string>(missing.begin(), missing.end()), executor);
    if (job) {
      auto timer = std::make_shared<asio::steady_timer>(executor, wait);
      bool done;
      {
        std::lock_guard lock(job->mutex);
        done = job->done;
        if (!done) job->waiters.push_back(timer);
      }
      if (!done) co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
      std::lock_guard lock(job->mutex);
      if (!job->done && kind && ctx.session)
        job->listeners.push_back({ctx.session, executor, *kind});  // told when it is ready
    }
    for (auto& text : missing)
      if (auto t = state.cache.find(cache_key(language, text))) found.emplace(text, std::move(*t));
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string text;
    bool complete = true;
    for (auto& p : split[i]) {
      if (!p.prose) {
        text += p.text;
        continue;
      }
      auto t = trim_whitespace(p.text);
      auto it = found.find(std::string(t.core));
      if (it == found.end()) {
        complete = false;
        break;
      }
      text += t.before;
      text += it->second;
      text += t.after;
    }
    if (complete) *fields[i] = text;
  }
}

}  // namespace

awaitable<json::value> Translate::translated_list(Call call, RequestContext& ctx, mcp::ListKind kind) {
  std::string language = state_->language_for(ctx.session.get(), call.params);
  json::value result = co_await next(std::move(call), ctx);
  if (language == state_->config.source || !result.is_object()) co_return result;
  std::vector<json::string*> fields;
  if (auto* items = result.get_object().if_contains(mcp::list_key(kind)); items && items->is_array())
    for (auto& item : items->get_array())
      if (item.is_object()) collect_item(item.get_object(), kind, fields);
  if (!fields.empty()) co_await translate_fields(*state_, language, fields, state_->config.wait, ctx, kind);
  co_return result;
}

awaitable<json::value> Translate::translated_result(Call call, RequestContext& ctx) {
  std::string language = state_->language_for(ctx.session.get(), call.params);
  json::value result = co_await next(std::move(call), ctx);
  if (!state_->config.results || language == state_->config.source || !result.is_object()) co_return result;
  std::vector<json::string*> fields;
  auto& obj = result.get_object();
  if (auto* c = obj.if_contains("content")) collect_content(*c, fields);
  if (auto* d = obj.if_contains("description"); d && d->is_string()) fields.push_back(&d->get_string());
  if (auto* messages = obj.if_contains("messages"); messages && messages->is_array())
    for (auto& m : messages->get_array())
      if (m.is_object())
        if (auto* c = m.get_object().if_contains("content"); c && c->is_object()) {
          auto& co = c->get_object();
          if (auto* type = co.if_contains("type"); type && type->is_string() && type->get_string() == "text")
            if (auto* t = co.if_contains("text"); t && t->is_string()) fields.push_back(&t->get_string());
        }
  // A result is for this call alone: it waits for the engine (bounded by its own time limit).
  if (!fields.empty()) co_await translate_fields(*state_, language, fields, std::chrono::hours(1), ctx, std::nullopt);
  co_return result;
}

awaitable<json::value> Translate::list_tools(Call call, RequestContext& ctx) {
  return translated_list(std::move(call), ctx, mcp::ListKind::tools);
}
awaitable<json::value> Translate::list_prompts(Call call, RequestContext& ctx) {
  return translated_list(std::move(call), ctx, mcp::ListKind::prompts);
}
awaitable<json::value> Translate::list_resources(Call call, RequestContext& ctx) {
  return translated_list(std::move(call), ctx, mcp::ListKind::resources);
}
awaitable<json::value> Translate::list_resource_templates(Call call, RequestContext& ctx) {
  return translated_list(std::move(call), ctx, mcp::ListKind::templates);
}
awaitable<json::value> Translate::call_tool(Call call, RequestContext& ctx) {
  return translated_result(std::move(call), ctx);
}
awaitable<json::value> Translate::get_prompt(Call call, RequestContext& ctx) {
  return translated_result(std::move(call), ctx);
}

namespace {

std::optional<std::chrono::milliseconds> engine_timeout(const json::object& engine, config::JsonReader& r,
                                                       const std::string& path) {
  if (auto* t = engine.if_contains("timeoutMs"))
    if (auto n = r.integer(*t, config::child_path(path, "timeoutMs"), 100, 600'000)) return std::chrono::milliseconds(*n);
  return std::nullopt;
}

std::shared_ptr<TranslationEngine> parse_apertium(const json::object& engine, config::JsonReader& r,
                                                  const std::string& path, const TranslateConfig& cfg) {
  r.check_keys_strict(engine, path, {"type", "command", "modes", "timeoutMs"});
  ApertiumOptions apertium;
  if (auto* c = engine.if_contains("command"))
    apertium.command = r.string(*c, config::child_path(path, "command")).value_or(apertium.command);
  if (auto t = engine_timeout(engine, r, path)) apertium.timeout = *t;
  if (auto* m = engine.if_contains("modes")) {
    auto mpath = config::child_path(path, "modes");
    if (auto* obj = r.object(*m, mpath))
      for (auto& [lang, mode] : *obj) {
        auto s = r.string(mode, config::child_path(mpath, lang));
        bool valid = s && !s->empty() && std::all_of(s->begin(), s->end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                     });
        if (s && !valid) r.error(config::child_path(mpath, lang), "an Apertium mode is letters, digits, - and _ (\"eng-spa\")");
        else if (s) apertium.modes[std::string(lang)] = *s;
      }
  } else if (auto mode = apertium_mode_for(cfg.source, cfg.language); !mode.empty()) {
    apertium.modes[cfg.language] = mode;
  } else {
    r.error(path, "no Apertium mode is known from " + cfg.source + " to " + cfg.language +
                      ": name it in \"modes\" ({\"" + cfg.language + "\": \"...\"}, see `apertium -l`)");
  }
  return std::make_shared<ApertiumEngine>(std::move(apertium));
}

std::shared_ptr<TranslationEngine> parse_libretranslate(const json::object& engine, config::JsonReader& r,
                                                        const std::string& path, const TranslateConfig& cfg) {
  r.check_keys_strict(engine, path,
                      {"type", "url", "apiKey", "languages", "timeoutMs", "batchTexts", "batchBytes", "caFile", "insecure"});
  LibreTranslateOptions o;
  o.source = cfg.source;
  auto child = [&](const char* key) { return config::child_path(path, key); };
  if (auto* v = engine.if_contains("url")) o.url = r.string(*v, child("url")).value_or("");
  else r.error(child("url"), "LibreTranslate needs the server's URL, e.g. \"http://127.0.0.1:5000\"");
  if (auto* v = engine.if_contains("apiKey")) o.api_key = r.string(*v, child("apiKey")).value_or("");
  if (auto* v = engine.if_contains("languages")) {
    if (auto list = r.string_array(*v, child("languages"))) o.languages.insert(list->begin(), list->end());
  } else {
    o.languages.insert(cfg.language);
  }
  if (auto t = engine_timeout(engine, r, path)) o.timeout = *t;
  if (auto* v = engine.if_contains("batchTexts"))
    if (auto n = r.integer(*v, child("batchTexts"), 1, 10'000)) o.batch_texts = static_cast<std::size_t>(*n);
  if (auto* v = engine.if_contains("batchBytes"))
    if (auto n = r.integer(*v, child("batchBytes"), 100, 64 << 20)) o.batch_bytes = static_cast<std::size_t>(*n);
  if (auto* v = engine.if_contains("caFile")) o.ca_file = r.string(*v, child("caFile")).value_or("");
  if (auto* v = engine.if_contains("insecure")) o.insecure = r.boolean(*v, child("insecure")).value_or(false);
  if (!engine.contains("url")) return nullptr;
  if (o.languages.empty()) r.error(child("languages"), "name at least one target language, e.g. [\"es\"]");
  try {
    return std::make_shared<LibreTranslateEngine>(std::move(o));
  } catch (const std::exception& e) {
    r.error(child("url"), e.what());
    return nullptr;
  }
}

std::optional<middleware::Maker> parse_translate(const json::object& config, config::JsonReader& r,
                                                 const std::string& path) {
  r.check_keys_strict(config, path,
                      {"language", "sourceLanguage", "clientLanguage", "engine", "waitMs", "cacheEntries", "results"});
  std::size_t errors = r.errors().size();
  TranslateConfig cfg;
  auto child = [&](const char* key) { return config::child_path(path, key); };
  if (auto* v = config.if_contains("language")) cfg.language = r.string(*v, child("language")).value_or(cfg.language);
  if (auto* v = config.if_contains("sourceLanguage"))
    cfg.source = r.string(*v, child("sourceLanguage")).value_or(cfg.source);
  if (auto* v = config.if_contains("clientLanguage"))
    cfg.client_language = r.boolean(*v, child("clientLanguage")).value_or(true);
  if (auto* v = config.if_contains("results")) cfg.results = r.boolean(*v, child("results")).value_or(false);
  if (auto* v = config.if_contains("waitMs"))
    if (auto n = r.integer(*v, child("waitMs"), 0, 600'000)) cfg.wait = std::chrono::milliseconds(*n);
  if (auto* v = config.if_contains("cacheEntries"))
    if (auto n = r.integer(*v, child("cacheEntries"), 1, 10'000'000)) cfg.cache_entries = static_cast<std::size_t>(*n);
  std::string engine_path = child("engine");
  const json::object* engine = nullptr;
  if (auto* v = config.if_contains("engine")) engine = r.object(*v, engine_path);
  else r.error(engine_path, "translate needs an engine, e.g. {\"type\": \"apertium\"}");
  std::shared_ptr<TranslationEngine> made;
  if (engine) {
    std::string type;
    auto type_path = config::child_path(engine_path, "type");
    if (auto* t = engine->if_contains("type")) type = r.string(*t, type_path).value_or("");
    if (type == "apertium") made = parse_apertium(*engine, r, engine_path, cfg);
    else if (type == "libretranslate") made = parse_libretranslate(*engine, r, engine_path, cfg);
    else r.error(type_path, "the engine type must be \"apertium\" or \"libretranslate\"");
  }
  if (r.errors().size() != errors || !made) return std::nullopt;
  auto state = std::make_shared<TranslateState>(cfg, std::move(made));
  return middleware::Maker([state](const middleware::Site&) { return std::make_shared<Translate>(state); });
}

}  // namespace

}  // namespace mcproxy::modules

MCPROXY_REGISTER_MIDDLEWARE(translate,
                            {"translate", ::mcproxy::middleware::Scope::any,
                             "translate descriptions (and optionally results) into the client's language with "
                             "Apertium or LibreTranslate",
                             &::mcproxy::modules::parse_translate})
