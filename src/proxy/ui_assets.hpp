#pragma once
// The dashboard's static files, embedded in the binary at build time (cmake/embed_assets.cmake
// over src/proxy/ui/). With MCPROXY_UI_DIR set, ui_asset() reads them from that folder instead,
// so that the page can be worked on without rebuilding (development only).

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mcproxy::proxy {

struct UiAsset {
  std::string_view name;          // "index.html"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view body;
};

std::span<const UiAsset> embedded_ui_assets();

struct UiFile {
  std::string content_type;
  std::string body;
};
// `name` is a file name without any slash; nullopt when there is no such asset.
std::optional<UiFile> ui_asset(std::string_view name);

}  // namespace mcproxy::proxy
