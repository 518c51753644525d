// Sync progress on a terminal (redrawn block) or in a log (timestamped lines).
#include "cli/sync_progress.h"

#include <algorithm>

#include "cli/command_util.h"
#include "object/timeutil.h"

namespace mlgitops {

namespace {

std::string ResourceLine(const ResourceResult& r) {
  std::string line = r.ref.ToString();
  if (!r.action.empty()) line += " " + r.action;
  if (r.status == "SyncFailed") line += " (failed)";
  if (r.health_known && r.action != "pruned" && r.action != "prune-skipped") {
    line += ", " + std::string(HealthCodeName(r.health.code));
    if (!r.health.message.empty()) line += ": " + r.health.message;
  }
  if (!r.message.empty() && r.message != r.health.message) line += " — " + r.message;
  return line;
}

Color StatusColor(const std::string& status) {
  if (status == "SyncFailed") return Color::kRed;
  if (status == "PruneSkipped") return Color::kYellow;
  return Color::kNone;
}

}  // namespace

// ---- LineProgress ----

void LineProgress::Emit(const std::string& text) {
  out_.Line(FormatRfc3339(clock_.NowUnix()) + "  " + text);
}

void LineProgress::OnGroup(const std::string& label, int index, int total) {
  Emit(label + " (" + std::to_string(index) + "/" + std::to_string(total) + ")");
}

void LineProgress::OnResource(const ResourceResult& result) { Emit("  " + ResourceLine(result)); }

void LineProgress::OnWaiting(const std::string& what) {
  if (what.empty() || what == last_waiting_) return;
  last_waiting_ = what;
  Emit("  waiting for " + what);
}

void LineProgress::OnMessage(const std::string& text) { Emit(text); }

// ---- LiveProgress ----

LiveProgress::~LiveProgress() { Finish(); }

void LiveProgress::OnGroup(const std::string& label, int index, int total) {
  group_ = label + " (" + std::to_string(index) + "/" + std::to_string(total) + ")";
  Redraw();
}

void LiveProgress::OnResource(const ResourceResult& result) {
  auto same = [&](const ResourceResult& r) { return r.ref == result.ref && r.hook == result.hook; };
  auto it = std::find_if(rows_.begin(), rows_.end(), same);
  if (it == rows_.end()) {
    rows_.push_back(result);
  } else {
    *it = result;
  }
  Redraw();
}

void LiveProgress::OnWaiting(const std::string& what) {
  if (what == waiting_) return;
  waiting_ = what;
  Redraw();
}

void LiveProgress::OnMessage(const std::string& text) {
  messages_.push_back(text);
  Redraw();
}

void LiveProgress::Finish() {
  if (finished_) return;
  finished_ = true;
  waiting_.clear();
  Redraw();
}

void LiveProgress::Redraw() {
  std::string frame;
  // Back to the top of the previous frame, clearing it.
  for (size_t i = 0; i < drawn_lines_; ++i) frame += "\x1b[1A\x1b[2K";
  std::vector<std::string> lines;
  lines.push_back(out_.Paint("Syncing " + app_, Color::kBold) +
                  (group_.empty() ? "" : "  " + group_));
  for (const std::string& m : messages_) lines.push_back("  " + m);
  // Only the last rows fit a screen; older ones are summarised.
  constexpr size_t kMaxRows = 30;
  size_t first = rows_.size() > kMaxRows ? rows_.size() - kMaxRows : 0;
  if (first > 0) lines.push_back("  ... " + std::to_string(first) + " earlier resources");
  for (size_t i = first; i < rows_.size(); ++i) {
    const ResourceResult& r = rows_[i];
    std::string health(HealthCodeName(r.health.code));
    std::string line = "  " + std::string(r.hook ? "hook " : "") + r.ref.ToString() + "  " +
                       out_.Paint(r.action.empty() ? "pending" : r.action, StatusColor(r.status));
    if (r.health_known && r.action != "pruned" && r.action != "prune-skipped") {
      line += "  " + out_.Paint(health, HealthColor(r.health.code));
      if (!r.health.message.empty()) line += " " + r.health.message.substr(0, 100);
    }
    lines.push_back(line);
  }
  if (!waiting_.empty()) lines.push_back(out_.Paint("  waiting for " + waiting_, Color::kCyan));
  for (const std::string& l : lines) frame += l + "\n";
  drawn_lines_ = lines.size();
  out_.Write(frame);
}

// ---- result table ----

void PrintSyncResult(Printer& out, const SyncResult& result) {
  std::vector<std::vector<Cell>> rows;
  for (const ResourceResult& r : result.resources) {
    rows.push_back(
        {std::string(SyncPhaseName(r.phase)) == "Sync" ? std::to_string(r.wave)
                                                       : std::string(SyncPhaseName(r.phase)),
         r.ref.kind, r.ref.namespace_, r.ref.name,
         Cell(r.action.empty() ? "-" : r.action, StatusColor(r.status)),
         Cell(r.status.empty() ? "-" : r.status, StatusColor(r.status)),
         r.health_known
             ? Cell(std::string(HealthCodeName(r.health.code)), HealthColor(r.health.code))
             : Cell("-"),
         r.message.empty() ? r.health.message : r.message});
  }
  out.Table({"WAVE", "KIND", "NAMESPACE", "NAME", "ACTION", "STATUS", "HEALTH", "MESSAGE"}, rows);
  Color phase_color = result.succeeded() ? Color::kGreen : Color::kRed;
  out.Line(std::string("Phase:    ") + out.Paint(result.phase, phase_color));
  out.Line("Message:  " + result.message);
  if (!result.revisions.empty()) {
    std::string revisions;
    for (const std::string& r : result.revisions) revisions += (revisions.empty() ? "" : ", ") + r;
    out.Line("Revision: " + revisions);
  }
}

}  // namespace mlgitops
