#include "app/reaper.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mcproxy::app {

namespace {

// Sends `sig` to every other process of this group, and to every child of this process
// (adopted orphans that left the group included). Read from /proc: no process table is kept.
void signal_others(int sig) {
  const pid_t self = ::getpid();
  const pid_t group = ::getpgrp();
  DIR* proc = ::opendir("/proc");
  if (!proc) {
    // Without /proc, the group alone (this process included: only for SIGTERM, which it
    // ignores).
    if (sig != SIGKILL) ::kill(-group, sig);
    return;
  }
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (!end || *end != '\0' || pid <= 0 || pid == self) continue;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buf[512];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) continue;
    buf[n] = '\0';
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    char* close_paren = std::strrchr(buf, ')');
    if (!close_paren) continue;
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (std::sscanf(close_paren + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3) continue;
    if (pgrp == group || ppid == self) ::kill(static_cast<pid_t>(pid), sig);
  }
  ::closedir(proc);
}

[[noreturn]] void exit_like(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    std::signal(sig, SIG_DFL);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, sig);
    ::sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
    ::raise(sig);
    ::_exit(128 + sig);
  }
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

// Waits up to `ms` for the server to end; true when it did (its status in `status`).
bool wait_for(pid_t child, const sigset_t& set, int ms, int& status) {
  timespec deadline{};
  ::clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += ms / 1000;
  deadline.tv_nsec += (ms % 1000) * 1'000'000L;
  for (;;) {
    if (::waitpid(child, &status, WNOHANG) == child) return true;
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    long left_ms = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1'000'000L;
    if (left_ms <= 0) return false;
    timespec wait{left_ms / 1000, (left_ms % 1000) * 1'000'000L};
    siginfo_t info;
    ::sigtimedwait(&set, &info, &wait);  // any signal wakes us; the loop checks again
  }
}

}  // namespace

int run_reaper(int argc, char** argv) {
  if (argc < 1 || !argv[0] || !*argv[0]) {
    std::fprintf(stderr, "mcproxy %s: no program to run\n", kReaperArgument);
    return 127;
  }
  const pid_t proxy = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGUSR1);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1}) sigaddset(&set, sig);
  sigset_t previous;
  ::sigprocmask(SIG_BLOCK, &set, &previous);
  if (::getppid() != proxy) return 1;  // the proxy died before the death signal was armed

  pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "mcproxy %s: fork failed: %s\n", kReaperArgument, std::strerror(errno));
    return 127;
  }
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    std::signal(SIGPIPE, SIG_DFL);
    ::execv(argv[0], argv);
    std::fprintf(stderr, "mcproxy %s: cannot run %s: %s\n", kReaperArgument, argv[0], std::strerror(errno));
    ::_exit(127);
  }
  // The pipes belong to the server: the reaper holds its stdin and stdout no longer, so the
  // proxy sees the end of the server's output when the server closes it.
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    ::dup2(devnull, STDIN_FILENO);
    ::dup2(devnull, STDOUT_FILENO);
    ::close(devnull);
  }

  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&set, &info);
    if (sig < 0) continue;  // EINTR
    if (sig == SIGCHLD) {
      int status = 0;
      bool done = false;
      int server_status = 0;
      for (pid_t p; (p = ::waitpid(-1, &status, WNOHANG)) > 0;) {
        if (p == child) {
          done = true;
          server_status = status;
        }
      }
      if (!done) continue;  // an adopted orphan ended
      signal_others(SIGKILL);  // what the server left behind
      exit_like(server_status);
    }
    if (sig == SIGUSR1) {
      if (::getppid() == proxy) continue;  // not the death signal
      signal_others(SIGTERM);
      int status = 0;
      wait_for(child, set, 2000, status);
      signal_others(SIGKILL);  // whatever ignored SIGTERM, the server's children included
      return 1;
    }
    // SIGTERM and the like: the proxy signals the whole group, so the server has it too; one
    // sent to the reaper alone is passed on.
    if (info.si_pid != proxy) ::kill(child, sig);
  }
}

}  // namespace mcproxy::app
