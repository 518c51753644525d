// How a sync shows its progress: timestamped lines in logs, a block redrawn in place on a TTY.
#include "cli/sync_progress.h"

#include <gtest/gtest.h>

#include "cli/memory_terminal.h"

namespace mlgitops {
namespace {

ResourceResult Resource(const std::string& name, const std::string& action, HealthCode code,
                        const std::string& message, bool judged) {
  ResourceResult r;
  r.ref = ObjectRef{"apps", "Deployment", "ml", name};
  r.action = action;
  r.status = "Synced";
  r.health = HealthStatus{code, message};
  r.health_known = judged;
  return r;
}

TEST(SyncProgress, LinesAreTimestampedAndWaitingIsSaidOnce) {
  MemoryTerminal term(false);
  Printer printer(term, false);
  FixedClock clock(1780000000);
  LineProgress progress(printer, clock);
  progress.OnGroup("wave 2", 3, 5);
  progress.OnResource(Resource("ranker", "created", HealthCode::kMissing, "", false));
  progress.OnResource(Resource("ranker", "created", HealthCode::kProgressing, "rolling out", true));
  progress.OnWaiting("healthy state of apps/Deployment ml/ranker");
  progress.OnWaiting("healthy state of apps/Deployment ml/ranker");
  std::string text = term.text();
  EXPECT_NE(text.find("2026-05-28T20:26:40Z  wave 2 (3/5)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("apps/Deployment ml/ranker created\n"), std::string::npos)
      << "not judged yet: no health shown\n"
      << text;
  EXPECT_NE(text.find("apps/Deployment ml/ranker created, Progressing: rolling out\n"),
            std::string::npos)
      << text;
  size_t first = text.find("waiting for healthy state");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(text.find("waiting for healthy state", first + 1), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << "no escape codes in logs";
}

TEST(SyncProgress, TheLiveViewRedrawsOneBlockInPlace) {
  MemoryTerminal term(true);
  Printer printer(term, true);
  {
    LiveProgress view(printer, "fraud");
    view.OnGroup("wave 0", 1, 2);
    view.OnResource(Resource("ranker", "created", HealthCode::kProgressing, "", true));
    view.OnResource(Resource("ranker", "created", HealthCode::kHealthy, "", true));
    view.OnWaiting("healthy state of apps/Deployment ml/ranker");
    view.Finish();
  }
  std::string text = term.text();
  // Each redraw first moves up over the lines it drew before and clears them.
  EXPECT_NE(text.find("\x1b[1A\x1b[2K"), std::string::npos);
  std::string last_frame = text.substr(text.rfind("Syncing"));
  EXPECT_NE(last_frame.find("wave 0 (1/2)"), std::string::npos) << last_frame;
  EXPECT_NE(last_frame.find("Healthy"), std::string::npos) << last_frame;
  EXPECT_EQ(last_frame.find("Progressing"), std::string::npos) << "a resource has one row";
  EXPECT_EQ(last_frame.find("waiting for"), std::string::npos) << "finished: nothing waited for";
}

TEST(SyncProgress, TheResultTableShowsUnreachedStepsAsDashes) {
  MemoryTerminal term(false);
  Printer printer(term, false);
  SyncResult result;
  result.phase = "Failed";
  result.message = "wave did not become healthy";
  result.revisions = {"abc"};
  result.resources.push_back(Resource("ranker", "created", HealthCode::kDegraded, "crash", true));
  result.resources.push_back(Resource("later", "", HealthCode::kMissing, "", false));
  PrintSyncResult(printer, result);
  std::string text = term.text();
  EXPECT_NE(text.find("ranker  created  Synced  Degraded  crash"), std::string::npos) << text;
  EXPECT_NE(text.find("later   -        Synced  -"), std::string::npos) << text;
  EXPECT_NE(text.find("Phase:    Failed"), std::string::npos) << text;
}

}  // namespace
}  // namespace mlgitops
