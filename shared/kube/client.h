// KubeClient: the Kubernetes operations mlgitops performs, behind one interface so the core runs
// against a cluster or kubesim (HttpKubeClient, over HTTPS) or, in tests, in memory
// (FakeKubeClient in tests/support).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/discovery.h"
#include "kube/kubeconfig.h"
#include "kube/rest_config.h"
#include "kube/retry.h"
#include "kube/transport.h"
#include "object/object.h"
#include "object/status.h"

namespace mlgitops {

struct GroupVersionKind {
  std::string group;    // "" for the core group
  std::string version;  // "" asks for the server's preferred version
  std::string kind;
  static GroupVersionKind FromApiVersion(std::string_view api_version, std::string_view kind);
  static GroupVersionKind Of(const Object& object);
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
};

/// Where one object lives. An empty namespace means the client's default namespace for
/// namespaced kinds, and is ignored for cluster-scoped ones.
struct ObjectKey {
  GroupVersionKind gvk;
  std::string namespace_;
  std::string name;
  static ObjectKey Of(const Object& object);
};

struct ListOptions {
  std::string label_selector;  // "app=ranker,tier!=cache", "env in (a,b)", "!legacy"
  std::string field_selector;  // "metadata.name=ranker"
  int64_t limit = 0;           // page size; 0 = everything in one answer
  std::string continue_token;  // from the previous page
  std::string resource_version;
};

struct ObjectList {
  std::vector<Object> items;  // each with apiVersion and kind filled in
  std::string resource_version;
  std::string continue_token;  // "" on the last page
};

struct WriteOptions {
  bool dry_run = false;  // dryRun=All: admission and validation run, nothing is stored
  std::string field_manager = "mlgitops";
};

struct ApplyOptions : WriteOptions {
  /// Take over fields other managers own: the manifests in git are the desired state.
  bool force = true;
};

enum class PatchType {
  kMerge,           // application/merge-patch+json (RFC 7386)
  kStrategicMerge,  // application/strategic-merge-patch+json (built-in kinds only)
  kJson,            // application/json-patch+json (RFC 6902); not repeated after a lost answer
};

enum class Propagation { kDefault, kBackground, kForeground, kOrphan };

struct DeleteOptions {
  Propagation propagation = Propagation::kDefault;
  std::string precondition_uid;  // refuse (409) when the live object's uid differs
  std::string precondition_resource_version;
  std::optional<int64_t> grace_period_seconds;
  bool dry_run = false;
};

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark };
  Type type = Type::kAdded;
  Object object;  // a bookmark carries only metadata.resourceVersion
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  /// Events after this version; "" starts with ADDED events for every current object.
  std::string resource_version;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  bool allow_bookmarks = true;
};

/// How a watch ended when it did not fail.
enum class WatchEnd {
  kStopped,   // the handler returned false
  kTimedOut,  // the server closed the stream (timeout or restart): watch again from
              // `resource_version`
  kExpired,   // 410 Gone: the version is too old; list again
};

struct WatchResult {
  WatchEnd end = WatchEnd::kTimedOut;
  std::string resource_version;  // the last version seen (events and bookmarks)
};

/// Returns false to stop watching.
using WatchHandler = std::function<bool(const WatchEvent& event)>;

/// Implementations are thread-safe.
class KubeClient {
 public:
  virtual ~KubeClient() = default;

  /// The namespace for namespaced objects that name none (the kubeconfig context's, or -n).
  virtual std::string default_namespace() const = 0;
  /// Kind to resource, scope and version; a miss refreshes discovery first.
  virtual Result<ResourceInfo> Resource(const GroupVersionKind& gvk) = 0;
  /// A resource named as kubectl accepts it ("deploy", "deployments.apps", "pytorchjob").
  virtual Result<ResourceInfo> ResolveResource(std::string_view name) = 0;
  /// Every resource the server serves, in each group's preferred version.
  virtual Result<std::vector<ResourceInfo>> ServerResources() = 0;

  virtual Result<Object> Get(const ObjectKey& key) = 0;
  /// GET of the status subresource.
  virtual Result<Object> GetStatus(const ObjectKey& key) = 0;
  /// One page (or everything, without a limit). An empty namespace lists all namespaces.
  virtual Result<ObjectList> List(const GroupVersionKind& gvk, const std::string& namespace_,
                                  const ListOptions& options) = 0;
  /// Server-side apply of `desired` (which must have metadata.name).
  virtual Result<Object> Apply(const Object& desired, const ApplyOptions& options) = 0;
  virtual Result<Object> Patch(const ObjectKey& key, PatchType type, std::string_view patch,
                               const WriteOptions& options) = 0;
  virtual Result<Object> Create(const Object& object, const WriteOptions& options) = 0;
  /// PUT of the whole object (kubectl replace): NotFound when it does not exist. Without
  /// metadata.resourceVersion the update is unconditional.
  virtual Result<Object> Replace(const Object& object, const WriteOptions& options) = 0;
  /// NotFound when the object is already gone.
  virtual Status Delete(const ObjectKey& key, const DeleteOptions& options) = 0;
  /// Streams changes to `handler` until it returns false, the timeout passes or the server
  /// ends the stream. An empty namespace watches all namespaces.
  virtual Result<WatchResult> Watch(const GroupVersionKind& gvk, const std::string& namespace_,
                                    const WatchOptions& options, const WatchHandler& handler) = 0;
  /// A client for the same server acting as `user` (Impersonate-User: kube-apiserver then
  /// authorizes every request as that user, after checking the `impersonate` verb for the
  /// caller). It borrows this client's connection: this client must outlive it.
  virtual Result<std::unique_ptr<KubeClient>> Impersonating(const std::string& user) {
    return Status::Unsupported("this client cannot act as \"" + user + "\"");
  }
};

/// Forwards every call to a client it does not own, so one client can be handed to code that
/// takes ownership (a command given a test's fake, the controller's per-app syncs).
class BorrowedKubeClient : public KubeClient {
 public:
  explicit BorrowedKubeClient(KubeClient& target) : target_(target) {}
  std::string default_namespace() const override { return target_.default_namespace(); }
  Result<ResourceInfo> Resource(const GroupVersionKind& gvk) override {
    return target_.Resource(gvk);
  }
  Result<ResourceInfo> ResolveResource(std::string_view name) override {
    return target_.ResolveResource(name);
  }
  Result<std::vector<ResourceInfo>> ServerResources() override { return target_.ServerResources(); }
  Result<Object> Get(const ObjectKey& key) override { return target_.Get(key); }
  Result<Object> GetStatus(const ObjectKey& key) override { return target_.GetStatus(key); }
  Result<ObjectList> List(const GroupVersionKind& gvk, const std::string& namespace_,
                          const ListOptions& options) override {
    return target_.List(gvk, namespace_, options);
  }
  Result<Object> Apply(const Object& desired, const ApplyOptions& options) override {
    return target_.Apply(desired, options);
  }
  Result<Object> Patch(const ObjectKey& key, PatchType type, std::string_view patch,
                       const WriteOptions& options) override {
    return target_.Patch(key, type, patch, options);
  }
  Result<Object> Create(const Object& object, const WriteOptions& options) override {
    return target_.Create(object, options);
  }
  Result<Object> Replace(const Object& object, const WriteOptions& options) override {
    return target_.Replace(object, options);
  }
  Status Delete(const ObjectKey& key, const DeleteOptions& options) override {
    return target_.Delete(key, options);
  }
  Result<WatchResult> Watch(const GroupVersionKind& gvk, const std::string& namespace_,
                            const WatchOptions& options, const WatchHandler& handler) override {
    return target_.Watch(gvk, namespace_, options, handler);
  }
  Result<std::unique_ptr<KubeClient>> Impersonating(const std::string& user) override {
    return target_.Impersonating(user);
  }

 private:
  KubeClient& target_;
};

// ---- Built on the interface: the same for every implementation. ----

/// Every page of a list, following continue tokens (`options.limit` is the page size, 500
/// when 0); starts over once if a token expires.
Result<ObjectList> ListAll(KubeClient& client, const GroupVersionKind& gvk,
                           const std::string& namespace_, ListOptions options);

struct WaitOptions {
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  /// Between GETs when the server refuses watches (RBAC without "watch").
  std::chrono::milliseconds poll_interval{1000};
};

struct WaitOutcome {
  bool satisfied = false;
  std::optional<Object> object;  // the last state seen; nullopt when the object is absent
};

/// Waits until `done(object)` holds (`object` is null while the object does not exist): lists,
/// then watches from the list's version, relisting after 410 Gone and watching again when a
/// stream ends; falls back to polling when watching is refused. A timeout is not an error:
/// the outcome says whether `done` held and what was last seen.
Result<WaitOutcome> WaitFor(KubeClient& client, const ObjectKey& key,
                            const std::function<bool(const Object* object)>& done,
                            const WaitOptions& options = WaitOptions());

// ---- The real client. ----

struct KubeClientOptions {
  TransportOptions transport;
  RetryPolicy retry;
  RetryClock* retry_clock = nullptr;  // the system clock when null
  DiscoveryOptions discovery;
};

/// KubeClient over HTTPS (HttpsTransport), with retries, discovery and error messages.
class HttpKubeClient : public KubeClient {
 public:
  static Result<std::unique_ptr<HttpKubeClient>> Create(const RestConfig& config,
                                                        KubeClientOptions options = {});
  /// Over any transport (tests, benchmarks).
  HttpKubeClient(std::unique_ptr<Transport> transport, std::string default_namespace,
                 KubeClientOptions options = {});
  ~HttpKubeClient() override;

  std::string default_namespace() const override { return default_namespace_; }
  Result<ResourceInfo> Resource(const GroupVersionKind& gvk) override;
  Result<ResourceInfo> ResolveResource(std::string_view name) override;
  Result<std::vector<ResourceInfo>> ServerResources() override;
  Result<Object> Get(const ObjectKey& key) override;
  Result<Object> GetStatus(const ObjectKey& key) override;
  Result<ObjectList> List(const GroupVersionKind& gvk, const std::string& namespace_,
                          const ListOptions& options) override;
  Result<Object> Apply(const Object& desired, const ApplyOptions& options) override;
  Result<Object> Patch(const ObjectKey& key, PatchType type, std::string_view patch,
                       const WriteOptions& options) override;
  Result<Object> Create(const Object& object, const WriteOptions& options) override;
  Result<Object> Replace(const Object& object, const WriteOptions& options) override;
  Status Delete(const ObjectKey& key, const DeleteOptions& options) override;
  Result<WatchResult> Watch(const GroupVersionKind& gvk, const std::string& namespace_,
                            const WatchOptions& options, const WatchHandler& handler) override;
  Result<std::unique_ptr<KubeClient>> Impersonating(const std::string& user) override;

  Transport& transport() { return *transport_; }
  Discovery& discovery() { return *discovery_; }

 private:
  struct Target;
  Result<Target> Locate(const GroupVersionKind& gvk, const std::string& namespace_,
                        const std::string& name, const std::string& verb, bool all_namespaces);
  /// `object` with the target's namespace (set, or cleared for cluster-scoped kinds).
  Object BodyFor(const Target& target, const Object& object) const;
  Result<Object> SendForObject(const Target& target, const HttpRequest& request,
                               Repeatable repeatable);

  std::unique_ptr<Transport> transport_;
  std::string default_namespace_;
  KubeClientOptions options_;
  SystemClock clock_;
  std::unique_ptr<RetryingSender> sender_;
  std::unique_ptr<Discovery> discovery_;
};

/// The real connection: kubeconfig rules as kubectl's (kube/kubeconfig.h), then HTTPS.
Result<std::unique_ptr<KubeClient>> ConnectWithKubeconfig(const KubeconfigOptions& options,
                                                          const GetEnvFn& getenv);

// ---- Helpers shared by the implementations. ----

/// Parses a JSON object answer into an Object (iteratively, refusing nesting deeper than 200).
Result<Object> ParseJsonObject(std::string_view json, const std::string& origin);
/// A JSON string value allocated in `allocator`.
JsonValue JsonString(std::string_view text, JsonAllocator& allocator);
/// Percent-escapes a query value or path segment.
std::string EscapeUrlComponent(std::string_view text);

}  // namespace mlgitops
