// AppProject sync windows: when an app may sync, decided as Argo CD's SyncWindows do (cron
// schedule + duration, allow/deny, manualSync), as pure functions of the time.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <vector>

#include "app/application.h"
#include "object/status.h"
#include "project/app_project.h"
#include "project/time_zone.h"

namespace mlgitops {

/// A standard five-field cron schedule (minute hour day-of-month month day-of-week: numbers,
/// `*`, ranges `a-b`, steps `/n`, lists, month and weekday names, 7 = Sunday) or a descriptor
/// (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly), as robfig/cron parses
/// what Argo CD gives it.
class CronSchedule {
 public:
  static Result<CronSchedule> Parse(const std::string& spec);
  /// The first time strictly after `unix` (seconds, UTC) that the schedule fires; -1 when none
  /// within five years (an impossible date such as 30 February).
  int64_t Next(int64_t unix) const;

 private:
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool any_day_ = false;     // day-of-month was `*`
  bool any_weekday_ = false;
};

/// "1h", "30m", "1h30m", "90s" (Go's time.ParseDuration units h, m, s) in seconds.
Result<int64_t> ParseWindowDuration(const std::string& text);

/// Whether a window applies to the app: its name matches `applications`, its destination
/// namespace `namespaces`, or its destination server or name `clusters` (globs).
bool WindowMatches(const SyncWindow& window, const Application& app);

/// Whether the window is open at `now`: it fired within the last `duration`, the schedule read
/// in the window's timeZone (zone files from `zoneinfo_dir`). Errors name the bad schedule,
/// duration or time zone.
Result<bool> WindowActive(const SyncWindow& window, int64_t now,
                          const std::string& zoneinfo_dir = DefaultZoneinfoDir());

struct SyncWindowVerdict {
  bool allowed = true;
  std::string reason;  // why not, e.g. "blocked by deny window 0 22 * * * (1h)"
  /// The windows matching the app that are open now, as "allow 0 22 * * * (1h)".
  std::vector<std::string> active;
};

/// Argo CD's CanSync for the app's matching windows: an open deny window blocks (a manual sync
/// passes when every open deny window has manualSync); otherwise an open allow window permits;
/// otherwise allow windows that exist but are closed block (manual syncs pass when one of them
/// has manualSync); no window permits.
Result<SyncWindowVerdict> CheckSyncWindows(const AppProject& project, const Application& app,
                                           int64_t now, bool manual,
                                           const std::string& zoneinfo_dir = DefaultZoneinfoDir());

}  // namespace mlgitops
