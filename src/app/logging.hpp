#pragma once
// Log output: text (coloured on a terminal) or JSON lines, always on stderr so that stdout stays
// free for the stdio transport.

#include <string>

namespace mcproxy::app {

void setup_logging(const std::string& level, const std::string& format);

}  // namespace mcproxy::app
