// Bounded parallelism for independent API calls (applies of one wave, lists for pruning): a
// few threads take indices from a shared counter, so a slow call never blocks the rest.
#pragma once

#include <cstddef>
#include <functional>

namespace mlgitops {

/// Calls `fn(i)` for every i in [0, count) on at most `parallelism` threads (the caller's own
/// thread when 1) and returns once all calls returned. `fn` must be thread-safe.
void RunParallel(size_t count, int parallelism, const std::function<void(size_t)>& fn);

}  // namespace mlgitops
