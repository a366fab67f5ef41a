#pragma once
// Reads the sections about who may do what: "auth", "profiles", "rateLimits", "audit" and
// "pins" (config.cpp calls it for the whole file; kept apart because it is a schema of its own).

#include "config/config.hpp"
#include "config/json_reader.hpp"

namespace mcproxy::config {

void read_access_sections(JsonReader& r, const json::object& root, Config& config);

}  // namespace mcproxy::config
