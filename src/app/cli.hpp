#pragma once
// Command line: parse argv, load and validate the config, set up logging, run the proxy.

namespace mcproxy::app {

int main(int argc, char** argv);

}  // namespace mcproxy::app
