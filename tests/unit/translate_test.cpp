// translate's pure parts: what is protected from translation, Apertium's stream form and the
// splitting of its output, LibreTranslate's request slices, Accept-Language, and config errors
// that name their JSON path.
#include "config/json_reader.hpp"
#include "middleware/registry.hpp"
#include "modules/apertium_engine.hpp"
#include "modules/libretranslate_engine.hpp"
#include "modules/text_segments.hpp"
#include "modules/translate_middleware.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <string>

using namespace mcproxy::modules;

namespace {

std::string protected_parts(std::string_view text) {
  std::string out;
  for (auto& p : split_for_translation(text))
    if (!p.prose) out += "<" + p.text + ">";
  return out;
}

}  // namespace

TEST_CASE("code, URLs, paths, identifiers and numbers are split out of the prose") {
  CHECK(protected_parts("Reads `path` from https://example.com/a.txt.") == "<`path`><https://example.com/a.txt><.>");  // punctuation alone is kept too
  CHECK(protected_parts("Calls get_sum and fooBar with --verbose in /tmp/x") == "<get_sum><fooBar><--verbose></tmp/x>");
  CHECK(protected_parts("Up to 10 items, see config.json or {name}.") == "<10><config.json><{name}><.>");
  CHECK(protected_parts("Adds two numbers.") == "");
  CHECK(protected_parts("```\nrm -rf /\n``` then stop") == "<```\nrm -rf /\n```>");
  // The pieces rebuild the text exactly.
  std::string text = "Echo `x`, then (see a.b) go: https://h/p?q=1 done.\n";
  std::string joined;
  for (auto& p : split_for_translation(text)) joined += p.text;
  CHECK(joined == text);
}

TEST_CASE("Apertium's stream form escapes its special characters; its output splits at the markers") {
  CHECK(apertium_escape("a [b] ^c$ @d/e <f> \\g\nh") == "a \\[b\\] \\^c\\$ \\@d\\/e \\<f\\> \\\\g[<nl>]h");
  auto texts = apertium_split_output("Hola \\[x\\][@0@].\nDos[<nl>]l\xc3\xadneas[@1@].\n", 2);
  REQUIRE(texts.size() == 2);
  CHECK(texts[0] == "Hola [x]");
  CHECK(texts[1] == "Dos\nl\xc3\xadneas");
  CHECK_THROWS_WITH(apertium_split_output("Hola[@0@].\n", 2), "apertium answered 1 text(s) of 2");
  CHECK(apertium_mode_for("en", "es") == "eng-spa");
  CHECK(apertium_mode_for("en", "xx").empty());
}

TEST_CASE("Accept-Language: best first by q, primary subtags, * and q=0 left out") {
  CHECK(parse_accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5") ==
        std::vector<std::string>{"fr", "en", "de"});
  CHECK(parse_accept_language("en;q=0.2, ES-es") == std::vector<std::string>{"es", "en"});
  CHECK(parse_accept_language("es;q=0, pt") == std::vector<std::string>{"pt"});
  CHECK(parse_accept_language("").empty());
}

TEST_CASE("translate's config errors name their JSON path") {
  auto* reg = mcproxy::middleware::Registry::instance().find("translate");
  REQUIRE(reg);
  auto check = [&](std::string_view config) {
    mcproxy::config::JsonReader r;
    auto made = reg->factory(boost::json::parse(config).as_object(), r, "httpServer.middleware.proxy[0].config");
    CHECK(!made);
    std::string all;
    for (auto& e : r.errors()) all += e + "\n";
    return all;
  };
  CHECK(check(R"({"language": "es"})").find("proxy[0].config.engine") != std::string::npos);
  CHECK(check(R"({"language": "xx", "engine": {"type": "apertium"}})").find("no Apertium mode is known") !=
        std::string::npos);
  CHECK(check(R"({"engine": {"type": "apertium", "modes": {"es": "eng-spa; rm -rf /"}}})")
            .find("proxy[0].config.engine.modes.es") != std::string::npos);
  CHECK(check(R"({"engine": {"type": "deepl"}})").find("engine.type") != std::string::npos);
  CHECK(check(R"({"engine": {"type": "libretranslate"}})").find("engine.url") != std::string::npos);
  CHECK(check(R"({"engine": {"type": "libretranslate", "url": "ftp://host"}})").find("engine.url") != std::string::npos);
  CHECK(check(R"({"engine": {"type": "libretranslate", "url": "http://h", "languages": []}})")
            .find("engine.languages") != std::string::npos);
  CHECK(check(R"({"engine": {"type": "libretranslate", "url": "http://h", "modes": {}}})").find("engine.modes") !=
        std::string::npos);  // an Apertium key is an error here, not silently ignored
}

TEST_CASE("LibreTranslate slices: at most N texts and about M bytes per request, order kept") {
  using Slices = std::vector<std::pair<std::size_t, std::size_t>>;
  std::vector<std::string> texts{"aaaa", "bb", "cccccc", "d", "eeeeeeeeeeee", "f"};
  CHECK(libretranslate_slices(texts, 50, 1000) == Slices{{0, 6}});
  CHECK(libretranslate_slices(texts, 2, 1000) == Slices{{0, 2}, {2, 4}, {4, 6}});
  CHECK(libretranslate_slices(texts, 50, 8) == Slices{{0, 2}, {2, 4}, {4, 5}, {5, 6}});  // a big text goes alone
  CHECK(libretranslate_slices({}, 5, 5).empty());
}
