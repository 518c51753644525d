// Clock: the one seam for "now", so freshness rules (SLA) are tested with a fixed time.
// SystemClock reads the real time; FixedClock returns what the test sets.
#pragma once

#include <cstdint>
#include <ctime>

namespace mlgitops {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Seconds since the Unix epoch.
  virtual int64_t NowUnix() const = 0;
};

class SystemClock : public Clock {
 public:
  int64_t NowUnix() const override { return static_cast<int64_t>(std::time(nullptr)); }
};

class FixedClock : public Clock {
 public:
  explicit FixedClock(int64_t now) : now_(now) {}
  int64_t NowUnix() const override { return now_; }
  void Set(int64_t now) { now_ = now; }

 private:
  int64_t now_;
};

}  // namespace mlgitops
