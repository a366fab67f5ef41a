// assign_names / sanitize_name: how tool and prompt names from several backends become one
// namespace: the three prefix modes, collision suffixes, and the 1-64 [A-Za-z0-9_.-] rule.

#include "proxy/naming.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// Lets doctest print the lists it compares when a check fails.
template <>
struct doctest::StringMaker<std::vector<std::string>> {
  static doctest::String convert(const std::vector<std::string>& v) {
    std::string out = "{";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
    out += "}";
    return out.c_str();
  }
};

namespace {

using mcproxy::config::PrefixMode;
using mcproxy::proxy::assign_names;
using mcproxy::proxy::kMaxNameLength;
using mcproxy::proxy::NameRequest;
using mcproxy::proxy::NamingResult;
using mcproxy::proxy::sanitize_name;

using Names = std::vector<std::string>;

bool is_valid_name(const std::string& name) {
  static const std::regex kValid("^[A-Za-z0-9_.-]{1,64}$");
  return std::regex_match(name, kValid);
}

bool is_hex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_SUITE("naming") {
  // --- modes ----------------------------------------------------------------------------------

  TEST_CASE("always mode prefixes every name with its server and the separator") {
    NamingResult r = assign_names({{"fs", "read_file"}, {"git", "status"}, {"fs", "write_file"}},
                                  PrefixMode::always, "__");
    CHECK(r.names == Names{"fs__read_file", "git__status", "fs__write_file"});
    CHECK(r.warnings.empty());
  }

  TEST_CASE("always mode keeps names that would collide unprefixed apart") {
    NamingResult r = assign_names({{"a", "search"}, {"b", "search"}}, PrefixMode::always, "__");
    CHECK(r.names == Names{"a__search", "b__search"});
    CHECK(r.warnings.empty());
  }

  TEST_CASE("never mode passes names through unchanged") {
    NamingResult r =
        assign_names({{"fs", "read_file"}, {"git", "status"}}, PrefixMode::never, "__");
    CHECK(r.names == Names{"read_file", "status"});
    CHECK(r.warnings.empty());
  }

  TEST_CASE("never mode suffixes colliding names with _2, _3 and warns for each") {
    NamingResult r = assign_names(
        {{"a", "search"}, {"b", "search"}, {"c", "search"}, {"c", "other"}}, PrefixMode::never,
        "__");
    CHECK(r.names == Names{"search", "search_2", "search_3", "other"});
    REQUIRE(r.warnings.size() == 2);
    CHECK(contains(r.warnings[0], "'search'"));
    CHECK(contains(r.warnings[0], "'b'"));
    CHECK(contains(r.warnings[0], "'search_2'"));
    CHECK(contains(r.warnings[1], "'c'"));
    CHECK(contains(r.warnings[1], "'search_3'"));
  }

  TEST_CASE("a suffix that is already taken by a real name is skipped") {
    NamingResult r = assign_names({{"a", "x_2"}, {"b", "x"}, {"c", "x"}}, PrefixMode::never, "__");
    CHECK(r.names == Names{"x_2", "x", "x_3"});
    CHECK(r.warnings.size() == 1);
  }

  TEST_CASE("the first server in config order keeps the unsuffixed name") {
    NamingResult r = assign_names({{"zeta", "t"}, {"alpha", "t"}}, PrefixMode::never, "__");
    CHECK(r.names == Names{"t", "t_2"});
  }

  TEST_CASE("on-conflict prefixes only the names that more than one server uses") {
    NamingResult r = assign_names(
        {{"a", "search"}, {"a", "read"}, {"b", "search"}, {"b", "write"}, {"c", "search"}},
        PrefixMode::on_conflict, "__");
    CHECK(r.names == Names{"a__search", "read", "b__search", "write", "c__search"});
    CHECK(r.warnings.empty());
  }

  TEST_CASE("on-conflict leaves every name alone when nothing is shared") {
    NamingResult r =
        assign_names({{"a", "one"}, {"b", "two"}, {"c", "three"}}, PrefixMode::on_conflict, "__");
    CHECK(r.names == Names{"one", "two", "three"});
  }

  TEST_CASE("on-conflict does not prefix a name one server lists twice, it suffixes it") {
    NamingResult r = assign_names({{"a", "dup"}, {"a", "dup"}}, PrefixMode::on_conflict, "__");
    CHECK(r.names == Names{"dup", "dup_2"});
    CHECK(r.warnings.size() == 1);
  }

  TEST_CASE("a custom separator is placed between server and name") {
    CHECK(assign_names({{"fs", "read"}}, PrefixMode::always, ".").names == Names{"fs.read"});
    CHECK(assign_names({{"fs", "read"}}, PrefixMode::always, "-").names == Names{"fs-read"});
    CHECK(assign_names({{"fs", "read"}}, PrefixMode::always, "_x_").names == Names{"fs_x_read"});
    CHECK(assign_names({{"a", "s"}, {"b", "s"}}, PrefixMode::on_conflict, ".").names ==
          Names{"a.s", "b.s"});
  }

  TEST_CASE("an empty request list gives no names and no warnings") {
    NamingResult r = assign_names({}, PrefixMode::always, "__");
    CHECK(r.names.empty());
    CHECK(r.warnings.empty());
  }

  // --- sanitizing -----------------------------------------------------------------------------

  TEST_CASE("allowed characters pass through sanitize_name unchanged") {
    CHECK(sanitize_name("Read-File_v2.1") == "Read-File_v2.1");
  }

  TEST_CASE("spaces, slashes and other punctuation become underscores") {
    CHECK(sanitize_name("my tool") == "my_tool");
    CHECK(sanitize_name("files/read") == "files_read");
    CHECK(sanitize_name("a:b@c#d!e") == "a_b_c_d_e");
    CHECK(sanitize_name("tab\there") == "tab_here");
  }

  TEST_CASE("non-ASCII characters become underscores") {
    std::string out = sanitize_name("h\xC3\xA9llo");  // "héllo" in UTF-8
    CHECK(is_valid_name(out));
    CHECK(out.front() == 'h');
    CHECK(out.substr(out.size() - 3) == "llo");
    CHECK(out.substr(1, out.size() - 4).find_first_not_of('_') == std::string::npos);
    CHECK(is_valid_name(sanitize_name("\xE6\x97\xA5\xE6\x9C\xAC")));  // "日本"
  }

  TEST_CASE("an empty name becomes a single underscore") {
    CHECK(sanitize_name("") == "_");
  }

  TEST_CASE("server names are sanitized along with the tool name when prefixed") {
    NamingResult r = assign_names({{"my server", "do it"}}, PrefixMode::always, "__");
    CHECK(r.names == Names{"my_server__do_it"});
  }

  TEST_CASE("names that only become equal after sanitizing are suffixed, not merged") {
    NamingResult r = assign_names({{"a", "my tool"}, {"b", "my/tool"}}, PrefixMode::never, "__");
    CHECK(r.names == Names{"my_tool", "my_tool_2"});
    CHECK(r.warnings.size() == 1);
  }

  // --- length ---------------------------------------------------------------------------------

  TEST_CASE("a name of exactly 64 characters is kept as is") {
    std::string name(kMaxNameLength, 'n');
    CHECK(sanitize_name(name) == name);
  }

  TEST_CASE("a name over 64 characters is cut to exactly 64 and ends with an 8-hex hash") {
    std::string name = "tool_" + std::string(80, 'x');
    std::string out = sanitize_name(name);
    CHECK(out.size() == kMaxNameLength);
    CHECK(is_valid_name(out));
    CHECK(out.substr(0, 55) == name.substr(0, 55));
    CHECK(out[55] == '_');
    CHECK(is_hex(out.substr(56)));
    CHECK(out.substr(56).size() == 8);
  }

  TEST_CASE("the hash of a long name is stable across calls and builds") {
    std::string name(70, 'a');
    CHECK(sanitize_name(name) == sanitize_name(name));
    // FNV-1a (32 bit) of seventy 'a's: pinned so a tool keeps its name across versions.
    CHECK(sanitize_name(name) == std::string(55, 'a') + "_5904740b");
  }

  TEST_CASE("two long names differing only at the end stay distinct") {
    std::string common(100, 'q');
    std::string a = sanitize_name(common + "_alpha");
    std::string b = sanitize_name(common + "_beta");
    CHECK(a.size() == kMaxNameLength);
    CHECK(b.size() == kMaxNameLength);
    CHECK(a != b);

    NamingResult r = assign_names({{"s", common + "1"}, {"s", common + "2"}}, PrefixMode::never,
                                  "__");
    CHECK(r.names[0] != r.names[1]);
    CHECK(r.warnings.empty());  // the hash kept them apart; no suffix needed
  }

  TEST_CASE("a long prefixed name is cut to 64 characters with a hash") {
    std::string tool(60, 't');
    NamingResult r = assign_names({{"server", tool}}, PrefixMode::always, "__");
    REQUIRE(r.names.size() == 1);
    CHECK(r.names[0].size() == kMaxNameLength);
    CHECK(r.names[0].rfind("server__", 0) == 0);
    CHECK(is_valid_name(r.names[0]));
  }

  TEST_CASE("a collision suffix on a 64-character name keeps it at 64 characters") {
    std::string name(kMaxNameLength, 'm');
    NamingResult r = assign_names({{"a", name}, {"b", name}, {"c", name}}, PrefixMode::never, "__");
    REQUIRE(r.names.size() == 3);
    CHECK(r.names[0] == name);
    CHECK(r.names[1] == std::string(62, 'm') + "_2");
    CHECK(r.names[2] == std::string(62, 'm') + "_3");
    for (auto& n : r.names) CHECK(is_valid_name(n));
  }

  TEST_CASE("every produced name matches ^[A-Za-z0-9_.-]{1,64}$ and all are distinct") {
    std::string very_long(300, 'L');
    std::vector<std::string> servers{"fs", "my server", "ünï", "", std::string(70, 's'), "a/b"};
    std::vector<std::string> tools{"",         "read",         "read file",  "\xF0\x9F\x98\x80",
                                   very_long,  very_long + "x", "a.b-c_d",    "x/y\\z",
                                   "read_2",   "__",           "\n\t\r",     std::string(64, '-')};
    for (PrefixMode mode : {PrefixMode::always, PrefixMode::on_conflict, PrefixMode::never}) {
      for (std::string_view sep : {"__", ".", "-", "_._"}) {
        CAPTURE(mcproxy::config::to_string(mode));
        CAPTURE(sep);
        std::vector<NameRequest> requests;
        for (auto& s : servers)
          for (auto& t : tools) requests.push_back({s, t});
        NamingResult r = assign_names(requests, mode, sep);
        REQUIRE(r.names.size() == requests.size());
        std::set<std::string> seen;
        for (auto& n : r.names) {
          CAPTURE(n);
          CHECK(is_valid_name(n));
          CHECK(seen.insert(n).second);
        }
      }
    }
  }
}
