// Writing one resource under Argo CD's Replace/Force sync options, and the immutable-field
// refusal told apart from an invalid manifest by the API server's own answers.
#include "sync/apply_strategy.h"

#include <thread>

#include "kube/errors.h"
#include "sync/syncer.h"

namespace mlgitops {

namespace {

using SteadyClock = std::chrono::steady_clock;

bool OptionTrue(const Object& desired, const Application& app, std::string_view key) {
  auto value = ResourceSyncOption(desired, app, key);
  return value && AsciiLower(TrimSpace(*value)) == "true";
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

}  // namespace

WriteStrategy WriteStrategyFor(const Object& desired, const Application& app, bool force_flag) {
  WriteStrategy s;
  s.replace = OptionTrue(desired, app, "Replace");
  s.force = force_flag || OptionTrue(desired, app, "Force");
  return s;
}

Status ImmutableFieldError(const std::string& ref, const Status& refused) {
  std::vector<std::string> fields = RefusedFields(refused);
  std::vector<std::string> said;
  if (const ApiRefusal* refusal = refused.api_refusal()) {
    for (const ApiRefusal::Cause& c : refusal->causes) said.push_back(c.field + ": " + c.message);
  }
  std::string what = fields.empty()       ? std::string("immutable fields")
                     : fields.size() == 1 ? "immutable field " + fields.front()
                                          : "immutable fields " + Join(fields, ", ");
  std::string message =
      "the API server refuses to change " + what + " of " + ref + " in place (" + Join(said, "; ") +
      "); Kubernetes lets such a change happen only by deleting the object and creating it "
      "again: set the sync option Force=true on the resource (annotation "
      "argocd.argoproj.io/sync-options: Force=true, or Replace=true,Force=true) or in the app's "
      "syncPolicy.syncOptions, or run kubectl mlgitops sync --force";
  Status error = Status::InvalidArgument(message);
  if (const ApiRefusal* refusal = refused.api_refusal()) error = error.WithApiRefusal(*refusal);
  return error;
}

Result<WriteDone> ResourceWriter::Write(const WriteRequest& request) {
  const WriteStrategy& s = request.strategy;
  if (s.replace && s.force && request.live_exists) return Recreate(request);  // replace --force
  auto written = ApplyOrReplace(request);
  if (written.ok()) {
    WriteDone done{std::move(*written), s.replace, false};
    return done;
  }
  if (!request.live_exists || !HasApiReason(written.status(), "Invalid") ||
      !RefusedAsImmutable(request)) {
    return written.status();
  }
  if (!s.force) return ImmutableFieldError(request.ref, written.status());
  return Recreate(request);
}

Result<Object> ResourceWriter::ApplyOrReplace(const WriteRequest& request) {
  const Object& desired = *request.desired;
  if (!request.strategy.replace) {
    ApplyOptions apply;
    apply.field_manager = field_manager_;
    apply.dry_run = request.dry_run;
    return client_.Apply(desired, apply);
  }
  WriteOptions write;
  write.field_manager = field_manager_;
  write.dry_run = request.dry_run;
  // Argo CD's Replace=true: `kubectl replace` for an object that exists, `kubectl create`
  // otherwise (a PUT cannot create).
  if (!request.live_exists) {
    auto created = client_.Create(desired, write);
    if (created.ok() || !HasApiReason(created.status(), "AlreadyExists")) return created;
  }
  auto replaced = client_.Replace(desired, write);
  if (!replaced.ok() && HasApiReason(replaced.status(), "NotFound")) {
    return client_.Create(desired, write);
  }
  return replaced;
}

bool ResourceWriter::RefusedAsImmutable(const WriteRequest& request) {
  WriteOptions probe;
  probe.field_manager = field_manager_;
  probe.dry_run = true;
  auto created = client_.Create(*request.desired, probe);
  return !created.ok() && HasApiReason(created.status(), "AlreadyExists");
}

Result<WriteDone> ResourceWriter::Recreate(const WriteRequest& request) {
  if (request.dry_run) {
    // Nothing is deleted in a dry run: the new object only has to be one the server accepts.
    WriteOptions probe;
    probe.field_manager = field_manager_;
    probe.dry_run = true;
    auto created = client_.Create(*request.desired, probe);
    if (!created.ok() && !HasApiReason(created.status(), "AlreadyExists")) {
      return created.status();
    }
    return WriteDone{request.desired->Clone(), request.strategy.replace, true};
  }
  DeleteOptions del;
  del.propagation = Propagation::kForeground;
  Status deleted = client_.Delete(request.key, del);
  if (!deleted.ok() && !HasApiReason(deleted, "NotFound")) return deleted;
  Status gone = WaitGone(request);
  if (!gone.ok()) return gone;
  auto create = [&]() -> Result<Object> {
    if (request.strategy.replace) {
      WriteOptions write;
      write.field_manager = field_manager_;
      return client_.Create(*request.desired, write);
    }
    ApplyOptions apply;
    apply.field_manager = field_manager_;
    return client_.Apply(*request.desired, apply);
  };
  auto created = create();
  if (!created.ok()) {
    return created.status().Prefixed(request.ref +
                                     ": deleted to be recreated (Force=true), but "
                                     "creating it again failed");
  }
  return WriteDone{std::move(*created), request.strategy.replace, true};
}

Status ResourceWriter::WaitGone(const WriteRequest& request) {
  // Deletion is graceful on a real cluster (finalizers, foreground dependents, Pods' grace
  // periods): the name is free only once the old object is gone.
  auto deadline = SteadyClock::now() + limits_.wait_gone;
  while (true) {
    auto live = client_.Get(request.key);
    if (!live.ok()) {
      return live.status().code() == Status::Code::kNotFound ? Status::OK() : live.status();
    }
    if (limits_.cancel && limits_.cancel->load()) {
      return Status::FailedPrecondition(
          request.ref + ": interrupted while waiting for its deletion (Force=true)");
    }
    if (limits_.wait_gone.count() > 0 && SteadyClock::now() > deadline) {
      return Status::FailedPrecondition(
          request.ref + ": deleted to be recreated (Force=true), but still there after " +
          SecondsText(limits_.wait_gone) + " (finalizers or dependents holding it?)");
    }
    auto until = SteadyClock::now() + limits_.poll;
    while (SteadyClock::now() < until && !(limits_.cancel && limits_.cancel->load())) {
      std::this_thread::sleep_for(
          std::min<std::chrono::milliseconds>(limits_.poll, std::chrono::milliseconds(50)));
    }
  }
}

}  // namespace mlgitops
