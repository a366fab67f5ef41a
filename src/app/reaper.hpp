#pragma once
// `mcproxy __reap EXE ARGS...`: the tiny process that stands between the proxy and each stdio
// server, so that no server, and nothing a server started, outlives the proxy, even when the
// proxy is killed with SIGKILL and none of its own code runs.
//
// The proxy starts the reaper as the leader of a new process group (so a wrapper such as
// `npx` or `sh -c` and everything it starts share that group) with PR_SET_PDEATHSIG. The
// reaper starts the server in that group and waits:
//   - the server exits: what it left behind in the group (say `sleep 600 &`, which ignores
//     the end of stdin) is killed, and the reaper exits with the server's status (a signal
//     death is repeated on itself), so the proxy sees the server's own exit;
//   - the proxy dies (the death signal): the group gets SIGTERM, then SIGKILL after 2 s;
//   - SIGTERM, SIGINT or SIGHUP sent to the whole group by the proxy reach the server
//     directly; the reaper itself ignores them and keeps waiting for the server.
// It is a subreaper (PR_SET_CHILD_SUBREAPER), so grandchildren orphaned by the server are
// adopted by it and killed with the group. If the reaper itself is killed, the proxy kills
// the group when it notices the exit (transport/stdio_child.cpp).

#include "transport/stdio_child.hpp"

namespace mcproxy::app {

using transport::kReaperArgument;  // argv[1] that selects the reaper mode; hidden from --help

// argv[0] is the server's executable (a path), the rest its arguments. Returns the exit code
// (or does not return: a signal death is repeated).
int run_reaper(int argc, char** argv);

}  // namespace mcproxy::app
