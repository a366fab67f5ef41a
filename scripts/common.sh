# Shared by scripts/run.sh and scripts/test.sh: install what is missing, then configure and
# build. Safe to re-run: every step checks before it acts.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${MCPROXY_BUILD_DIR:-$REPO_ROOT/build}"

APT_PACKAGES=(
  g++ cmake make ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-filesystem1.81-dev
  libspdlog-dev libfmt-dev libcli11-dev doctest-dev libssl-dev libre2-dev libxapian-dev libyaml-cpp-dev
)

# The sanitizer tree (CMakePresets.json "sanitize"): clang, its sanitizer and libFuzzer runtimes,
# lld, and llvm-symbolizer (in llvm-14) so reports name functions and lines.
SANITIZER_APT_PACKAGES=(clang-14 libclang-rt-14-dev lld-14 llvm-14)
SANITIZE_BUILD_DIR="${MCPROXY_SANITIZE_BUILD_DIR:-$REPO_ROOT/build-sanitize}"
TSAN_BUILD_DIR="${MCPROXY_TSAN_BUILD_DIR:-$REPO_ROOT/build-tsan}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

missing_packages() {
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      printf '%s\n' "$pkg"
    fi
  done
}

apt_install() {
  local missing
  missing=$(missing_packages "$@")
  [ -z "$missing" ] && return 0
  log "installing Debian packages: $(echo $missing)"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "run as root (or install: $missing)" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

ensure_build_deps() { apt_install "${APT_PACKAGES[@]}"; }

# The observability tests (docs/OBSERVABILITY.md): a real Prometheus, whose tests run their own
# instance on a free loopback port (the system service the package starts is stopped and
# disabled: nothing listens on :9090 behind the user's back), and Debian's Chromium for the
# dashboard's browser test (puppeteer-core drives it; no browser is downloaded).
ensure_observability_test_deps() {
  apt_install prometheus chromium
  if command -v systemctl >/dev/null && systemctl is-enabled prometheus >/dev/null 2>&1; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
  if [ -x /etc/init.d/prometheus ]; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
    update-rc.d prometheus disable >/dev/null 2>&1 || true
  fi
}

# The translate middleware's engine: Apertium with its English-Spanish pair (the interop test
# and examples/translate-config.json use it).
ensure_translate_deps() { apt_install apertium apertium-eng-spa; }

# Node.js runs the example MCP servers and the interop tests (never the proxy itself).
ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
}

# npm ci in tests/ when the lock file changed since the last install.
ensure_test_node_modules() {
  ensure_node
  local stamp="$REPO_ROOT/tests/node_modules/.mcproxy-lock-stamp"
  local want
  want=$(sha256sum "$REPO_ROOT/tests/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing the pinned npm packages for the tests (npm ci)"
    (cd "$REPO_ROOT/tests" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
}

build() {
  local targets=("$@")
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    log "configuring ($BUILD_DIR)"
    cmake -S "$REPO_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  log "building ${targets[*]:-everything} (first build takes a few minutes on 2 cores)"
  cmake --build "$BUILD_DIR" -j "$(nproc)" ${targets[@]+--target "${targets[@]}"}
}

# The sanitizer tree: configured from the preset every time (cheap, and picks up preset edits).
build_sanitize() {
  log "configuring the sanitizer tree ($SANITIZE_BUILD_DIR)"
  cmake --preset sanitize -S "$REPO_ROOT" -B "$SANITIZE_BUILD_DIR" >/dev/null
  log "building the sanitizer tree (clang-14, ASan + UBSan, fuzzers; the first build takes a while)"
  cmake --build "$SANITIZE_BUILD_DIR" -j "$(nproc)"
}

# The ThreadSanitizer tree (CMakePresets.json "tsan"): the proxy and the unit tests only.
build_tsan() {
  log "configuring the ThreadSanitizer tree ($TSAN_BUILD_DIR)"
  cmake --preset tsan -S "$REPO_ROOT" -B "$TSAN_BUILD_DIR" >/dev/null
  log "building the ThreadSanitizer tree (clang-14; the first build takes a while)"
  cmake --build "$TSAN_BUILD_DIR" -j "$(nproc)"
}
