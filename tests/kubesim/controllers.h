// Simulated controllers for kubesim: a background thread that reacts to store changes and
// writes through the API server as kube-controller-manager, the kubelet, the Kubeflow training
// operator and KServe would, so workloads become Available, Complete, Bound or Ready (or fail
// as the kubesim.mlgitops.io/outcome annotation asks). See README.md.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "kubesim/api_server.h"
#include "kubesim/controller_support.h"
#include "object/clock.h"
#include "object/status.h"

namespace mlgitops::kubesim {

struct ControllerOptions {
  bool enabled = true;
  /// How long one simulated step takes (a Pod starting, a container finishing, a model loading).
  std::chrono::milliseconds step{200};
};

/// HorizontalPodAutoscalers (hpa_controller.cc): status as the real controller reports it.
void ReconcileHorizontalPodAutoscalers(ControllerContext& ctx);

/// "200ms", "1s", "1.5s" (1ms to 1h).
Result<std::chrono::milliseconds> ParseStepDelay(const std::string& text);

class Controllers {
 public:
  /// `api` and `clock` must outlive the controllers.
  Controllers(ApiServer* api, const Clock* clock, ControllerOptions options);
  ~Controllers();
  Controllers(const Controllers&) = delete;
  Controllers& operator=(const Controllers&) = delete;

  /// Starts the reconcile thread (nothing when disabled); false if it could not start.
  bool Start();
  /// Stops and joins the thread; prompt once the store is shut down, else within ~250 ms.
  void Stop();

  /// One reconcile pass of every controller as of `now`; returns when the next timed step is
  /// due (time_point::max() when nothing waits). Only while the thread is not running.
  SteadyTime RunPass(SteadyTime now);

 private:
  void Loop();

  ApiServer* api_;
  const Clock* clock_;
  ControllerOptions options_;
  Pacer pacer_;
  ApiWriter writer_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace mlgitops::kubesim
