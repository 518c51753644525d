// RunParallel: a counter shared by short-lived worker threads.
#include "sync/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace mlgitops {

void RunParallel(size_t count, int parallelism, const std::function<void(size_t)>& fn) {
  size_t workers = std::min(count, static_cast<size_t>(std::max(parallelism, 1)));
  if (workers <= 1) {
    for (size_t i = 0; i < count; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < count; i = next++) fn(i);
  };
  std::vector<std::thread> threads;
  threads.reserve(workers - 1);
  for (size_t t = 1; t < workers; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
}

}  // namespace mlgitops
