// argv -> config -> run; everything else lives in the mcproxy_core library.
#include "app/cli.hpp"

int main(int argc, char** argv) { return mcproxy::app::main(argc, argv); }
