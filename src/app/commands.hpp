#pragma once
// The `check` and `list` subcommands: validate a config without starting anything, or start
// its servers once and print the merged catalogue.

#include "config/config.hpp"
#include "middleware/plan.hpp"

namespace mcproxy::app {

// Prints a summary of a valid config; also checks that every stdio command can be found.
// Returns 0 when everything is fine, 1 otherwise.
int check_config(const config::Config& config, const middleware::Plan& plan);

// Starts the servers, prints the merged tools, prompts and resources, stops them. Returns 0
// when every server came up, 1 otherwise.
int list_catalogue(const config::Config& config, const middleware::Plan& plan);

}  // namespace mcproxy::app
