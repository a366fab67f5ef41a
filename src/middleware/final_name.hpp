#pragma once
// A tool or prompt a middleware named on purpose (rename) keeps that name in the merged
// catalogue, without the server prefix the naming rules would add. The middleware marks the
// list item; the aggregator reads the mark and takes it off before any client sees the item.
// (At proxy level names are already final: a proxy middleware's names are what clients get.)

#include <boost/json/object.hpp>

namespace mcproxy::middleware {

inline constexpr std::string_view kFinalNameKey = "io.mcproxy/finalName";

inline void mark_final_name(boost::json::object& item) {
  auto& meta = item["_meta"];
  if (!meta.is_object()) meta = boost::json::object();
  meta.get_object()[kFinalNameKey] = true;
}

inline bool has_final_name(const boost::json::object& item) {
  auto* meta = item.if_contains("_meta");
  return meta && meta->is_object() && meta->get_object().contains(kFinalNameKey);
}

// Whether the item was marked, removing the mark (and a _meta that only held it).
inline bool take_final_name(boost::json::object& item) {
  auto* meta = item.if_contains("_meta");
  if (!meta || !meta->is_object()) return false;
  auto& m = meta->get_object();
  bool marked = m.erase(kFinalNameKey) > 0;
  if (marked && m.empty()) item.erase("_meta");
  return marked;
}

}  // namespace mcproxy::middleware
