#pragma once
// `mcproxy pins list | approve SERVER TOOL... | approve-all SERVER`: looks at and approves the
// pinned tool definitions (auth/pin_store). A running proxy re-reads the file within a second
// and serves an approved tool again (clients get list_changed).

#include <string>
#include <vector>

namespace mcproxy::app {

// `file` is the pin file. Returns the exit code (0, or 1 with a message on stderr).
int run_pins_command(const std::string& file, const std::string& action, const std::vector<std::string>& names);

}  // namespace mcproxy::app
