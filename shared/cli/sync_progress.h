// How a sync shows its progress: a live view redrawn in place on a terminal, timestamped lines
// when piped (CI logs), nothing for -o json. One observer class per form.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/terminal.h"
#include "object/clock.h"
#include "sync/syncer.h"

namespace mlgitops {

/// Timestamped lines: one per group, per resource change and per new thing waited for.
class LineProgress : public SyncObserver {
 public:
  LineProgress(Printer& out, const Clock& clock) : out_(out), clock_(clock) {}
  void OnGroup(const std::string& label, int index, int total) override;
  void OnResource(const ResourceResult& result) override;
  void OnWaiting(const std::string& what) override;
  void OnMessage(const std::string& text) override;

 private:
  void Emit(const std::string& text);
  Printer& out_;
  const Clock& clock_;
  std::string last_waiting_;
};

/// A block redrawn in place: the group (wave k/n), each resource's action and health, and what
/// the sync waits for.
class LiveProgress : public SyncObserver {
 public:
  LiveProgress(Printer& out, std::string app_name) : out_(out), app_(std::move(app_name)) {}
  ~LiveProgress() override;
  void OnGroup(const std::string& label, int index, int total) override;
  void OnResource(const ResourceResult& result) override;
  void OnWaiting(const std::string& what) override;
  void OnMessage(const std::string& text) override;
  /// Leaves the last frame on screen.
  void Finish();

 private:
  void Redraw();
  Printer& out_;
  std::string app_;
  std::string group_;
  std::string waiting_;
  std::vector<std::string> messages_;
  std::vector<ResourceResult> rows_;
  size_t drawn_lines_ = 0;
  bool finished_ = false;
};

/// The per-resource table printed after a sync: WAVE KIND NAMESPACE NAME ACTION STATUS HEALTH
/// MESSAGE.
void PrintSyncResult(Printer& out, const SyncResult& result);

}  // namespace mlgitops
