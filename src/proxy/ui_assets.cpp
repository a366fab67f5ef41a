#include "proxy/ui_assets.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mcproxy::proxy {

std::optional<UiFile> ui_asset(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || name.find("..") != std::string_view::npos)
    return std::nullopt;
  for (auto& asset : embedded_ui_assets()) {
    if (asset.name != name) continue;
    if (const char* dir = std::getenv("MCPROXY_UI_DIR"); dir && *dir) {
      std::ifstream in(std::string(dir) + "/" + std::string(name), std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (in) return UiFile{std::string(asset.content_type), text.str()};
    }
    return UiFile{std::string(asset.content_type), std::string(asset.body)};
  }
  return std::nullopt;
}

}  // namespace mcproxy::proxy
