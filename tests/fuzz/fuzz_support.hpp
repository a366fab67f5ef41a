#pragma once
// Shared by the libFuzzer harnesses of tests/fuzz: a small deterministic random source derived
// from the input (so a crash reproduces from its input file alone), splitting into chunks the
// way reads split a stream, an invariant check that aborts (libFuzzer then saves the input),
// and logging that formats every message but prints none.

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

namespace mcproxy::fuzz {

// A broken invariant is a finding: abort so libFuzzer reports it and writes the input out.
#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);   \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

// splitmix64: tiny, and good enough to pick chunk sizes.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n) for n > 0.
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

// FNV-1a of the bytes: the seed of an input's chunking, so the same input always splits the
// same way and any mutation may split it differently.
inline std::uint64_t hash_bytes(std::string_view data) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// Calls fn(std::string_view chunk) for consecutive pieces of `data` of 0..max_chunk bytes
// (empty pieces too: a read of zero bytes must be harmless). max_chunk >= 1.
template <class Fn>
void for_each_chunk(std::string_view data, Rng& rng, std::size_t max_chunk, Fn&& fn) {
  while (!data.empty()) {
    std::size_t n = rng.below(max_chunk + 1);
    if (n > data.size()) n = data.size();
    fn(data.substr(0, n));
    data.remove_prefix(n);
  }
}

// The harness's own control byte: chunks of at most 1, 2, 3, 7, 16, 64, 512 or 4096 bytes.
inline std::size_t max_chunk_for(unsigned char control) {
  static constexpr std::size_t kSizes[] = {1, 2, 3, 7, 16, 64, 512, 4096};
  return kSizes[control % 8];
}

// Every log call at `level` or above still formats its message (format errors are findings
// too), into a sink that drops it.
inline void quiet_logging(spdlog::level::level_enum level = spdlog::level::trace) {
  auto logger = std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

}  // namespace mcproxy::fuzz
