// Tests of AppProject sync windows: the cron dialect robfig/cron parses for Argo CD, Go
// durations, and Argo CD's CanSync over allow/deny windows with manualSync.
#include "project/sync_windows.h"

#include <gtest/gtest.h>

#include <string>

namespace mlgitops {
namespace {

constexpr int64_t kTuesday2213 = 1'700'000'000;  // 2023-11-14T22:13:20Z, a Tuesday
constexpr int64_t kTuesday2200 = 1'699'999'200;  // 2023-11-14T22:00:00Z
constexpr int64_t kDay = 86'400;

int64_t NextOf(const std::string& spec, int64_t after) {
  auto s = CronSchedule::Parse(spec);
  EXPECT_TRUE(s.ok()) << spec << ": " << s.status().message();
  return s.ok() ? s->Next(after) : -2;
}

TEST(CronSchedule, NextFiringFollowsEachField) {
  EXPECT_EQ(NextOf("0 22 * * *", kTuesday2213), kTuesday2200 + kDay);
  EXPECT_EQ(NextOf("0 22 * * *", kTuesday2200 - 1), kTuesday2200);
  EXPECT_EQ(NextOf("*/15 * * * *", kTuesday2213), kTuesday2200 + 15 * 60);
  EXPECT_EQ(NextOf("@hourly", kTuesday2213), kTuesday2200 + 3600);
  EXPECT_EQ(NextOf("@daily", kTuesday2213), kTuesday2200 + 2 * 3600);  // midnight
  // Weekday names and ranges: the next Saturday 10:00 is 2023-11-18.
  EXPECT_EQ(NextOf("0 10 * * SAT,SUN", kTuesday2213), kTuesday2200 + 3 * kDay + 12 * 3600);
  EXPECT_EQ(NextOf("0 10 * * 6,7", kTuesday2213), kTuesday2200 + 3 * kDay + 12 * 3600);
  // Month names: 1 January 2024, 00:00.
  EXPECT_EQ(NextOf("0 0 1 JAN *", kTuesday2213), 1'704'067'200);
}

TEST(CronSchedule, RestrictedDayOfMonthAndWeekdayMatchEither) {
  // robfig/cron: with both day fields restricted, a day matching either fires. The next
  // Friday (17th) comes before the next 13th (December).
  EXPECT_EQ(NextOf("0 0 13 * FRI", kTuesday2213), kTuesday2200 + 2 * 3600 + 2 * kDay);
  // With the weekday field `*`, only the day of month counts.
  EXPECT_EQ(NextOf("0 0 13 * *", kTuesday2213), 1'702'425'600);  // 2023-12-13
}

TEST(CronSchedule, MalformedSchedulesNameTheField) {
  for (const char* bad : {"0 22 * *", "61 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *",
                          "x * * * *", "*/0 * * * *", "5-1 * * * *", "0 0 * * FUNDAY"}) {
    auto s = CronSchedule::Parse(bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.status().message().find(std::string("schedule \"") + bad + "\""), std::string::npos)
        << s.status().message();
  }
  EXPECT_EQ(NextOf("0 0 30 2 *", kTuesday2213), -1);  // never: 30 February
}

TEST(SyncWindowDuration, GoUnits) {
  EXPECT_EQ(*ParseWindowDuration("1h"), 3600);
  EXPECT_EQ(*ParseWindowDuration("1h30m"), 5400);
  EXPECT_EQ(*ParseWindowDuration("90s"), 90);
  EXPECT_FALSE(ParseWindowDuration("").ok());
  EXPECT_FALSE(ParseWindowDuration("1d").ok());
  EXPECT_FALSE(ParseWindowDuration("h").ok());
}

SyncWindow Window(SyncWindowKind kind, const std::string& schedule, const std::string& duration,
                  bool manual = false) {
  SyncWindow w;
  w.kind = kind;
  w.schedule = schedule;
  w.duration = duration;
  w.applications = {"*"};
  w.manual_sync = manual;
  return w;
}

Application App(const std::string& name = "fraud") {
  Application app;
  app.name = name;
  app.destination.server = "https://kubernetes.default.svc";
  app.destination.namespace_ = "ml";
  return app;
}

TEST(SyncWindows, AWindowIsOpenForItsDurationAfterEachFiring) {
  SyncWindow nightly = Window(SyncWindowKind::kDeny, "0 22 * * *", "1h");
  EXPECT_TRUE(*WindowActive(nightly, kTuesday2213));
  // Argo CD: open once the firing is strictly before now, closed from firing + duration on.
  EXPECT_FALSE(*WindowActive(nightly, kTuesday2200));
  EXPECT_TRUE(*WindowActive(nightly, kTuesday2200 + 1));
  EXPECT_TRUE(*WindowActive(nightly, kTuesday2200 + 3599));
  EXPECT_FALSE(*WindowActive(nightly, kTuesday2200 + 3600));
  EXPECT_FALSE(*WindowActive(nightly, kTuesday2200 - 1));
}

// timeZone: the schedule is read in the zone's offset at the time (Argo CD's
// scheduleOffsetByTimeZone), from the system's TZif files.
TEST(SyncWindows, TimeZonesShiftTheSchedule) {
  SyncWindow berlin = Window(SyncWindowKind::kDeny, "0 22 * * *", "1h");
  berlin.time_zone = "Europe/Berlin";                       // CET, UTC+1, in November
  EXPECT_FALSE(*WindowActive(berlin, kTuesday2213));        // 23:13 in Berlin
  EXPECT_TRUE(*WindowActive(berlin, kTuesday2200 - 1800));  // 22:30 in Berlin
  SyncWindow summer = berlin;                               // CEST, UTC+2, in July
  constexpr int64_t kJuly2030Utc = 1'689'366'600;           // 2023-07-14T20:30:00Z
  EXPECT_TRUE(*WindowActive(summer, kJuly2030Utc));
  EXPECT_FALSE(*WindowActive(summer, kJuly2030Utc + 3600));
  auto offset = UtcOffsetAt("America/New_York", kTuesday2213, DefaultZoneinfoDir());
  ASSERT_TRUE(offset.ok()) << offset.status().message();
  EXPECT_EQ(*offset, -5 * 3600);
  for (const char* bad : {"Mars/Olympus", "../../etc/passwd", "/etc/localtime"}) {
    SyncWindow w = berlin;
    w.time_zone = bad;
    auto active = WindowActive(w, kTuesday2213);
    EXPECT_EQ(active.status().code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(active.status().message().find(bad), std::string::npos) << active.status().message();
  }
}

TEST(SyncWindows, DenyBeatsAllowAndManualSyncNeedsEveryOpenDenyToAllowIt) {
  AppProject p;
  p.sync_windows = {Window(SyncWindowKind::kAllow, "0 * * * *", "2h"),
                    Window(SyncWindowKind::kDeny, "0 22 * * *", "1h", /*manual=*/true)};
  auto automated = CheckSyncWindows(p, App(), kTuesday2213, false);
  ASSERT_TRUE(automated.ok());
  EXPECT_FALSE(automated->allowed);
  EXPECT_EQ(automated->reason, "blocked by sync window deny 0 22 * * * (1h)");
  EXPECT_EQ(automated->active.size(), 2u);
  EXPECT_TRUE(CheckSyncWindows(p, App(), kTuesday2213, true)->allowed);
  p.sync_windows.push_back(Window(SyncWindowKind::kDeny, "0 22 * * *", "30m"));
  EXPECT_FALSE(CheckSyncWindows(p, App(), kTuesday2213, true)->allowed);
  // After the deny windows close, the open allow window permits.
  EXPECT_TRUE(CheckSyncWindows(p, App(), kTuesday2200 + 3600 + 120, false)->allowed);
}

TEST(SyncWindows, ClosedAllowWindowsBlockUnlessManualSyncIsAllowed) {
  AppProject p;
  p.sync_windows = {Window(SyncWindowKind::kAllow, "0 6 * * *", "1h")};
  auto closed = CheckSyncWindows(p, App(), kTuesday2213, false);
  EXPECT_FALSE(closed->allowed);
  EXPECT_EQ(closed->reason, "blocked: no allow sync window is open (next: allow 0 6 * * * (1h))");
  EXPECT_FALSE(CheckSyncWindows(p, App(), kTuesday2213, true)->allowed);
  p.sync_windows[0].manual_sync = true;
  EXPECT_TRUE(CheckSyncWindows(p, App(), kTuesday2213, true)->allowed);
  EXPECT_FALSE(CheckSyncWindows(p, App(), kTuesday2213, false)->allowed);
}

TEST(SyncWindows, OnlyWindowsMatchingTheAppCount) {
  AppProject p;
  SyncWindow deny = Window(SyncWindowKind::kDeny, "0 22 * * *", "1h");
  deny.applications = {"train-*"};
  deny.namespaces = {"gpu"};
  deny.clusters = {"gpu-east"};
  p.sync_windows = {deny};
  EXPECT_TRUE(CheckSyncWindows(p, App("fraud"), kTuesday2213, false)->allowed);
  EXPECT_FALSE(CheckSyncWindows(p, App("train-bert"), kTuesday2213, false)->allowed);
  Application in_gpu = App();
  in_gpu.destination.namespace_ = "gpu";
  EXPECT_FALSE(CheckSyncWindows(p, in_gpu, kTuesday2213, false)->allowed);
  Application on_cluster = App();
  on_cluster.destination.server.clear();
  on_cluster.destination.name = "gpu-east";
  EXPECT_FALSE(CheckSyncWindows(p, on_cluster, kTuesday2213, false)->allowed);
}

}  // namespace
}  // namespace mlgitops
