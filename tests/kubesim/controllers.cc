// The reconcile loop: every pass runs each controller over the whole store (level-triggered, so
// a lost write is simply redone), then sleeps until the store changes or a step falls due.
#include "kubesim/controllers.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace mlgitops::kubesim {

namespace {

constexpr auto kMaxIdleWait = std::chrono::milliseconds(250);
// After a change wakes the loop, writes arriving together (one kubectl apply of many objects)
// are taken in one pass.
constexpr auto kBatchDelay = std::chrono::milliseconds(5);

}  // namespace

Result<std::chrono::milliseconds> ParseStepDelay(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  std::string unit = end ? std::string(end) : "";
  double ms = unit == "ms" ? value : unit == "s" ? value * 1000 : -1;
  if (text.empty() || end == text.c_str() || !std::isfinite(value) || ms < 1 || ms > 3600000) {
    return Status::InvalidArgument("--step-delay " + text +
                                   ": expected a duration from 1ms to 1h, e.g. 200ms or 1s");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

Controllers::Controllers(ApiServer* api, const Clock* clock, ControllerOptions options)
    : api_(api), clock_(clock), options_(options), pacer_(options.step), writer_(api) {}

Controllers::~Controllers() { Stop(); }

bool Controllers::Start() {
  if (!options_.enabled || thread_.joinable()) return true;
  stopping_ = false;
  try {
    thread_ = std::thread([this] { Loop(); });
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "kubesim: cannot start the controllers: %s\n", e.what());
    return false;
  }
  return true;
}

void Controllers::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

SteadyTime Controllers::RunPass(SteadyTime now) {
  pacer_.BeginPass(now);
  ControllerContext ctx(api_, clock_, &pacer_, &writer_);
  // Owners before what they own, so one pass carries a change as far down as it can.
  ReconcileDeployments(ctx);
  ReconcileReplicaSets(ctx);
  ReconcileStatefulSets(ctx);
  ReconcileHorizontalPodAutoscalers(ctx);
  ReconcileJobs(ctx);
  ReconcileTrainingJobs(ctx);
  ReconcileInferenceServices(ctx);
  ReconcilePods(ctx);
  ReconcileVolumes(ctx);
  pacer_.EndPass();
  return pacer_.next_due();
}

void Controllers::Loop() {
  Store& store = api_->store();
  int64_t seen = -1;
  SteadyTime due = SteadyTime::min();
  while (!stopping_ && !store.shutting_down()) {
    SteadyTime now = std::chrono::steady_clock::now();
    int64_t current = store.CurrentResourceVersion();
    if (current != seen || now >= due) {
      // Our own writes change the store too: the next turn looks again and finds nothing to do.
      seen = current;
      due = RunPass(now);
      continue;
    }
    store.WaitForEvents(seen, std::min(due, now + kMaxIdleWait));
    if (store.CurrentResourceVersion() != seen) std::this_thread::sleep_for(kBatchDelay);
  }
}

}  // namespace mlgitops::kubesim
