// Sync windows: a cron parser in robfig/cron's dialect, Go durations, and Argo CD's CanSync.
#include "project/sync_windows.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "project/time_zone.h"
#include "source/glob.h"

namespace mlgitops {

namespace {

constexpr int64_t kSearchSeconds = int64_t{5} * 366 * 86400;

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = text.find(sep, start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

struct FieldRange {
  const char* name;
  int min;
  int max;
  std::map<std::string, int> names;
};

Result<int> Number(const std::string& text, const FieldRange& range) {
  auto named = range.names.find(Upper(text));
  if (named != range.names.end()) return named->second;
  if (text.empty() || text.size() > 4 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c); })) {
    return Status::InvalidArgument(std::string("invalid ") + range.name + " \"" + text + "\"");
  }
  return std::stoi(text);
}

// Sets the bits of one cron field; `*star` tells whether it was `*` or `?` (no step).
Status ParseField(const std::string& field, const FieldRange& range, std::vector<bool>* bits,
                  bool* star) {
  *star = false;
  for (const std::string& part : Split(field, ',')) {
    std::vector<std::string> step_parts = Split(part, '/');
    if (step_parts.size() > 2) {
      return Status::InvalidArgument(std::string("invalid ") + range.name + " \"" + part + "\"");
    }
    int low = range.min, high = range.max, step = 1;
    const std::string& span = step_parts[0];
    if (span == "*" || span == "?") {
      *star = *star || step_parts.size() == 1;
    } else {
      std::vector<std::string> bounds = Split(span, '-');
      if (bounds.size() > 2) {
        return Status::InvalidArgument(std::string("invalid ") + range.name + " \"" + part + "\"");
      }
      auto lo = Number(bounds[0], range);
      if (!lo.ok()) return lo.status();
      low = high = *lo;
      if (bounds.size() == 2) {
        auto hi = Number(bounds[1], range);
        if (!hi.ok()) return hi.status();
        high = *hi;
      } else if (step_parts.size() == 2) {
        high = range.max;  // robfig: "N/step" means N-max/step
      }
    }
    if (step_parts.size() == 2) {
      auto n = Number(step_parts[1], FieldRange{"step", 1, 1 << 20, {}});
      if (!n.ok() || *n <= 0) {
        return Status::InvalidArgument(std::string("invalid step in ") + range.name + " \"" + part +
                                       "\"");
      }
      step = *n;
    }
    if (low < range.min || high > range.max || low > high) {
      return Status::InvalidArgument(std::string(range.name) + " \"" + part +
                                     "\" is out of range " + std::to_string(range.min) + "-" +
                                     std::to_string(range.max));
    }
    for (int v = low; v <= high; v += step) (*bits)[v] = true;
  }
  return Status::OK();
}

template <size_t N>
void CopyBits(const std::vector<bool>& from, std::bitset<N>* to) {
  for (size_t i = 0; i < N && i < from.size(); ++i) (*to)[i] = from[i];
}

bool AnyGlob(const std::vector<std::string>& patterns, const std::string& value) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    if (p == "*") return true;
    auto glob = Glob::Compile(p);
    return glob.ok() && glob->Match(value);
  });
}

std::string Describe(const SyncWindow& w) {
  return std::string(w.kind == SyncWindowKind::kAllow ? "allow" : "deny") + " " + w.schedule +
         " (" + w.duration + ")";
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(const std::string& spec) {
  static const std::map<std::string, std::string> kDescriptors = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}};
  std::string text = spec;
  if (auto d = kDescriptors.find(spec); d != kDescriptors.end()) text = d->second;
  std::vector<std::string> fields;
  for (const std::string& f : Split(text, ' ')) {
    if (!f.empty()) fields.push_back(f);
  }
  if (fields.size() != 5) {
    return Status::InvalidArgument("schedule \"" + spec +
                                   "\": expected 5 fields (minute hour day-of-month month "
                                   "day-of-week), found " +
                                   std::to_string(fields.size()));
  }
  static const FieldRange kRanges[] = {
      {"minute", 0, 59, {}},
      {"hour", 0, 23, {}},
      {"day of month", 1, 31, {}},
      {"month",
       1,
       12,
       {{"JAN", 1},
        {"FEB", 2},
        {"MAR", 3},
        {"APR", 4},
        {"MAY", 5},
        {"JUN", 6},
        {"JUL", 7},
        {"AUG", 8},
        {"SEP", 9},
        {"OCT", 10},
        {"NOV", 11},
        {"DEC", 12}}},
      {"day of week",
       0,
       7,
       {{"SUN", 0}, {"MON", 1}, {"TUE", 2}, {"WED", 3}, {"THU", 4}, {"FRI", 5}, {"SAT", 6}}}};
  CronSchedule s;
  bool stars[5];
  std::vector<std::vector<bool>> bits;
  for (int i = 0; i < 5; ++i) {
    bits.emplace_back(static_cast<size_t>(kRanges[i].max + 1), false);
    Status parsed = ParseField(fields[i], kRanges[i], &bits[i], &stars[i]);
    if (!parsed.ok())
      return Status::InvalidArgument("schedule \"" + spec + "\": " + parsed.message());
  }
  CopyBits(bits[0], &s.minutes_);
  CopyBits(bits[1], &s.hours_);
  CopyBits(bits[2], &s.days_);
  CopyBits(bits[3], &s.months_);
  if (bits[4][7]) bits[4][0] = true;  // 7 is Sunday too
  CopyBits(bits[4], &s.weekdays_);
  s.any_day_ = stars[2];
  s.any_weekday_ = stars[4];
  return s;
}

int64_t CronSchedule::Next(int64_t unix) const {
  int64_t t = (unix / 60 + 1) * 60;
  const int64_t limit = unix + kSearchSeconds;
  while (t <= limit) {
    std::time_t now = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&now, &tm);
    auto jump = [&]() { return static_cast<int64_t>(timegm(&tm)); };
    if (!months_[tm.tm_mon + 1]) {
      tm.tm_mon += 1;
      tm.tm_mday = 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      t = jump();
      continue;
    }
    // robfig/cron: when either day field is `*`, both must match; else either may.
    bool dom = days_[tm.tm_mday], dow = weekdays_[tm.tm_wday];
    bool day = any_day_ || any_weekday_ ? dom && dow : dom || dow;
    if (!day) {
      tm.tm_mday += 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      t = jump();
      continue;
    }
    if (!hours_[tm.tm_hour]) {
      tm.tm_hour += 1;
      tm.tm_min = tm.tm_sec = 0;
      t = jump();
      continue;
    }
    if (!minutes_[tm.tm_min]) {
      t += 60;
      continue;
    }
    return t;
  }
  return -1;
}

Result<int64_t> ParseWindowDuration(const std::string& text) {
  if (text.empty()) return Status::InvalidArgument("duration is empty");
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i == text.size() || i - start > 9) {
      return Status::InvalidArgument("invalid duration \"" + text + "\" (use e.g. 1h, 30m, 1h30m)");
    }
    int64_t n = std::stoll(text.substr(start, i - start));
    char unit = text[i++];
    if (unit == 'h') {
      total += n * 3600;
    } else if (unit == 'm') {
      total += n * 60;
    } else if (unit == 's') {
      total += n;
    } else {
      return Status::InvalidArgument("invalid duration \"" + text + "\" (units h, m, s)");
    }
  }
  return total;
}

bool WindowMatches(const SyncWindow& window, const Application& app) {
  const ApplicationDestination& d = app.destination;
  return AnyGlob(window.applications, app.name) || AnyGlob(window.namespaces, d.namespace_) ||
         (!d.server.empty() && AnyGlob(window.clusters, d.server)) ||
         (!d.name.empty() && AnyGlob(window.clusters, d.name));
}

Result<bool> WindowActive(const SyncWindow& window, int64_t now, const std::string& zoneinfo_dir) {
  auto schedule = CronSchedule::Parse(window.schedule);
  if (!schedule.ok()) return schedule.status().Prefixed("sync window");
  auto duration = ParseWindowDuration(window.duration);
  if (!duration.ok()) return duration.status().Prefixed("sync window " + window.schedule);
  auto offset = UtcOffsetAt(window.time_zone, now, zoneinfo_dir);
  if (!offset.ok()) return offset.status().Prefixed("sync window " + Describe(window));
  // Argo CD: the schedule is read in the window's time zone (the zone's offset now), and the
  // window is open when the first firing after (now - duration) is before now.
  int64_t local_now = now + *offset;
  int64_t next = schedule->Next(local_now - *duration);
  return next >= 0 && next < local_now;
}

Result<SyncWindowVerdict> CheckSyncWindows(const AppProject& project, const Application& app,
                                           int64_t now, bool manual,
                                           const std::string& zoneinfo_dir) {
  SyncWindowVerdict verdict;
  bool any = false, open_deny = false, deny_manual = true, open_allow = false;
  bool closed_allow = false, closed_allow_manual = false;
  std::string first_deny, first_closed_allow;
  for (const SyncWindow& w : project.sync_windows) {
    if (!WindowMatches(w, app)) continue;
    any = true;
    auto active = WindowActive(w, now, zoneinfo_dir);
    if (!active.ok()) return active.status();
    if (*active) verdict.active.push_back(Describe(w));
    if (w.kind == SyncWindowKind::kDeny && *active) {
      if (!open_deny) first_deny = Describe(w);
      open_deny = true;
      deny_manual = deny_manual && w.manual_sync;
    } else if (w.kind == SyncWindowKind::kAllow) {
      if (*active) {
        open_allow = true;
      } else {
        if (!closed_allow) first_closed_allow = Describe(w);
        closed_allow = true;
        closed_allow_manual = closed_allow_manual || w.manual_sync;
      }
    }
  }
  if (!any) return verdict;
  if (open_deny) {
    if (!(manual && deny_manual)) {
      verdict.allowed = false;
      verdict.reason = "blocked by sync window " + first_deny;
    }
    return verdict;
  }
  if (open_allow) return verdict;
  if (closed_allow && !(manual && closed_allow_manual)) {
    verdict.allowed = false;
    verdict.reason = "blocked: no allow sync window is open (next: " + first_closed_allow + ")";
  }
  return verdict;
}

}  // namespace mlgitops
