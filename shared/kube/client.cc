// HttpKubeClient: URLs from discovery, requests through the retrying sender, answers parsed into
// Objects; and ListAll / WaitFor, which work over any KubeClient.
#include "kube/client.h"

#include <openssl/evp.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <thread>
#include <utility>

#include "kube/impersonation.h"
#include "object/base64.h"

namespace mlgitops {

namespace {

using std::chrono::milliseconds;

constexpr int kMaxJsonDepth = 200;
constexpr int64_t kDefaultPageSize = 500;
constexpr size_t kMaxWatchEventBytes = size_t{64} << 20;
constexpr milliseconds kQuickWatchEnd{1000};

// ---- JSON. ----

bool DepthWithin(const JsonValue& root, int max_depth) {
  std::vector<std::pair<const JsonValue*, int>> pending{{&root, 1}};
  while (!pending.empty()) {
    auto [value, depth] = pending.back();
    pending.pop_back();
    if (depth > max_depth) return false;
    if (value->IsObject()) {
      for (const auto& member : value->GetObject()) pending.emplace_back(&member.value, depth + 1);
    } else if (value->IsArray()) {
      for (const JsonValue& item : value->GetArray()) pending.emplace_back(&item, depth + 1);
    }
  }
  return true;
}

/// A deep copy of `value` (already depth-checked) as an Object, with apiVersion and kind filled
/// in when missing (list items and watch events often lack them).
Object CopyToObject(const JsonValue& value, const std::string& api_version, const std::string& kind,
                    const std::string& origin) {
  auto alloc = NewObjectAllocator();
  JsonValue copy(value, *alloc);
  if (copy.IsObject()) {
    if (!copy.HasMember("apiVersion") && !api_version.empty()) {
      copy.AddMember("apiVersion", JsonString(api_version, *alloc), *alloc);
    }
    if (!copy.HasMember("kind") && !kind.empty())
      copy.AddMember("kind", JsonString(kind, *alloc), *alloc);
  }
  return Object(std::move(alloc), std::move(copy), origin);
}

Status ParseDocument(std::string_view json, const std::string& origin, rapidjson::Document* doc) {
  doc->Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc->HasParseError() || !doc->IsObject()) {
    return Status::IOError(origin + ": the answer is not a JSON object");
  }
  if (!DepthWithin(*doc, kMaxJsonDepth)) {
    return Status::LimitExceeded(origin + ": the answer nests deeper than " +
                                 std::to_string(kMaxJsonDepth) + " levels");
  }
  return Status::OK();
}

/// Adds a Secret's values (data, decoded too, and stringData) to `redactor`.
void AddSecretValues(const JsonValue& root, Redactor* redactor) {
  for (const char* field : {"data", "stringData"}) {
    const JsonValue* map = Find(root, field);
    if (!map || !map->IsObject()) continue;
    for (const auto& member : map->GetObject()) {
      if (!member.value.IsString()) continue;
      std::string_view value(member.value.GetString(), member.value.GetStringLength());
      redactor->AddSecret(value);
      if (std::string_view(field) == "data") redactor->AddSecret(Base64Decode(value).value_or(""));
    }
  }
}

bool IsSecret(const ResourceInfo& info) { return info.group.empty() && info.kind == "Secret"; }

// ---- URLs. ----

/// "?a=1&b=2" from the pairs with a value; "" when none has one.
std::string Query(std::initializer_list<std::pair<const char*, std::string>> params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;
    out += out.empty() ? '?' : '&';
    out += name;
    out += '=';
    out += EscapeUrlComponent(value);
  }
  return out;
}

std::string DryRun(bool dry_run) { return dry_run ? "All" : ""; }

const char* PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
  }
  return "application/merge-patch+json";
}

const char* PropagationName(Propagation propagation) {
  switch (propagation) {
    case Propagation::kBackground:
      return "Background";
    case Propagation::kForeground:
      return "Foreground";
    case Propagation::kOrphan:
      return "Orphan";
    case Propagation::kDefault:
      break;
  }
  return "";
}

std::string DeleteBody(const DeleteOptions& options) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("apiVersion", "v1", a);
  doc.AddMember("kind", "DeleteOptions", a);
  if (options.propagation != Propagation::kDefault) {
    doc.AddMember("propagationPolicy", rapidjson::StringRef(PropagationName(options.propagation)),
                  a);
  }
  if (!options.precondition_uid.empty() || !options.precondition_resource_version.empty()) {
    JsonValue preconditions(rapidjson::kObjectType);
    if (!options.precondition_uid.empty()) {
      preconditions.AddMember("uid", JsonString(options.precondition_uid, a), a);
    }
    if (!options.precondition_resource_version.empty()) {
      preconditions.AddMember("resourceVersion",
                              JsonString(options.precondition_resource_version, a), a);
    }
    doc.AddMember("preconditions", preconditions, a);
  }
  if (options.grace_period_seconds) {
    doc.AddMember("gracePeriodSeconds", *options.grace_period_seconds, a);
  }
  return ToJson(doc);
}

HttpRequest MakeRequest(std::string method, std::string path, std::string body = "",
                        std::string content_type = "") {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.body = std::move(body);
  request.content_type = std::move(content_type);
  return request;
}

bool IsSuccess(const SendResult& sent) {
  return sent.outcome.ok() && sent.outcome.response.status >= 200 &&
         sent.outcome.response.status < 300;
}

// ---- Watch streams. ----

std::optional<WatchEvent::Type> EventType(const std::string& type) {
  if (type == "ADDED") return WatchEvent::Type::kAdded;
  if (type == "MODIFIED") return WatchEvent::Type::kModified;
  if (type == "DELETED") return WatchEvent::Type::kDeleted;
  if (type == "BOOKMARK") return WatchEvent::Type::kBookmark;
  return std::nullopt;
}

/// Splits a watch body into JSON lines and hands each event on.
class WatchDecoder {
 public:
  WatchDecoder(const ResourceInfo& info, const WatchHandler& handler,
               std::chrono::steady_clock::time_point deadline)
      : info_(info), handler_(handler), deadline_(deadline) {}

  /// False to stop the stream (handler done, 410, deadline or a bad event).
  bool Feed(std::string_view chunk) {
    buffer_.append(chunk);
    size_t start = 0;
    for (size_t nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n', start)) {
      std::string_view line(buffer_.data() + start, nl - start);
      start = nl + 1;
      if (!line.empty() && !OnLine(line)) return false;
    }
    buffer_.erase(0, start);
    if (buffer_.size() > kMaxWatchEventBytes) {
      error_ = Status::LimitExceeded("a watch event exceeds 64 MiB");
      return false;
    }
    return std::chrono::steady_clock::now() < deadline_;
  }

  WatchResult result() const { return result_; }
  const Status& error() const { return error_; }

 private:
  bool OnLine(std::string_view line) {
    rapidjson::Document doc;
    Status status = ParseDocument(line, "watch event", &doc);
    const JsonValue* object = status.ok() ? Find(doc, "object") : nullptr;
    if (!object || !object->IsObject()) {
      error_ = status.ok() ? Status::IOError("watch event without an object") : status;
      return false;
    }
    std::string type = GetString(doc, "type");
    if (type == "ERROR") {
      if (GetInt(*object, "code").value_or(0) == 410) {
        result_.end = WatchEnd::kExpired;
      } else {
        error_ = Status::IOError("the watch stream reported: " + GetString(*object, "message"));
      }
      return false;
    }
    std::optional<WatchEvent::Type> event_type = EventType(type);
    std::string version = GetString(*object, "metadata.resourceVersion");
    if (!version.empty()) result_.resource_version = version;
    if (!event_type) return true;  // unknown event types are skipped, as client-go does
    WatchEvent event{*event_type, CopyToObject(*object, info_.api_version(), info_.kind, "watch")};
    if (!handler_(event)) {
      result_.end = WatchEnd::kStopped;
      return false;
    }
    return true;
  }

  const ResourceInfo& info_;
  const WatchHandler& handler_;
  std::chrono::steady_clock::time_point deadline_;
  std::string buffer_;
  WatchResult result_;
  Status error_;
};

}  // namespace

// ---- Small public helpers. ----

GroupVersionKind GroupVersionKind::FromApiVersion(std::string_view api_version,
                                                  std::string_view kind) {
  GroupVersionKind gvk;
  size_t slash = api_version.find('/');
  if (slash == std::string_view::npos) {
    gvk.version = std::string(api_version);
  } else {
    gvk.group = std::string(api_version.substr(0, slash));
    gvk.version = std::string(api_version.substr(slash + 1));
  }
  gvk.kind = std::string(kind);
  return gvk;
}

GroupVersionKind GroupVersionKind::Of(const Object& object) {
  return FromApiVersion(object.api_version(), object.kind());
}

ObjectKey ObjectKey::Of(const Object& object) {
  return ObjectKey{GroupVersionKind::Of(object), object.namespace_(), object.name()};
}

Result<Object> ParseJsonObject(std::string_view json, const std::string& origin) {
  rapidjson::Document doc;
  Status status = ParseDocument(json, origin, &doc);
  if (!status.ok()) return status;
  return CopyToObject(doc, "", "", origin);
}

JsonValue JsonString(std::string_view text, JsonAllocator& allocator) {
  return JsonValue(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
}

std::string EscapeUrlComponent(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// ---- HttpKubeClient. ----

/// A request's resolved resource, namespace, URL path and the subject its errors name.
struct HttpKubeClient::Target {
  ResourceInfo info;
  std::string namespace_;
  std::string path;  // of the object, or of the collection when there is no name
  RequestSubject subject;
};

Result<std::unique_ptr<HttpKubeClient>> HttpKubeClient::Create(const RestConfig& config,
                                                               KubeClientOptions options) {
  auto transport = HttpsTransport::Create(config, options.transport);
  if (!transport.ok()) return transport.status();
  std::string namespace_ = config.namespace_.empty() ? "default" : config.namespace_;
  return std::make_unique<HttpKubeClient>(std::move(transport).value(), namespace_,
                                          std::move(options));
}

HttpKubeClient::HttpKubeClient(std::unique_ptr<Transport> transport, std::string default_namespace,
                               KubeClientOptions options)
    : transport_(std::move(transport)),
      default_namespace_(std::move(default_namespace)),
      options_(std::move(options)) {
  RetryClock* retry_clock = options_.retry_clock ? options_.retry_clock : &SystemRetryClock();
  sender_ = std::make_unique<RetryingSender>(transport_.get(), options_.retry, retry_clock);
  discovery_ = std::make_unique<Discovery>(sender_.get(), &clock_, options_.discovery);
}

HttpKubeClient::~HttpKubeClient() = default;

Result<std::unique_ptr<KubeClient>> ConnectWithKubeconfig(const KubeconfigOptions& options,
                                                          const GetEnvFn& getenv) {
  KubeconfigEnv env;
  env.getenv = getenv;
  auto config = LoadRestConfig(options, env);
  if (!config.ok()) return config.status();
  auto client = HttpKubeClient::Create(*config);
  if (!client.ok()) return client.status();
  return std::unique_ptr<KubeClient>(std::move(*client));
}

Result<std::unique_ptr<KubeClient>> HttpKubeClient::Impersonating(const std::string& user) {
  if (user.empty()) return Status::InvalidArgument("impersonation needs a user name");
  return std::unique_ptr<KubeClient>(new HttpKubeClient(
      std::make_unique<ImpersonatingTransport>(*transport_, user), default_namespace_, options_));
}

Result<ResourceInfo> HttpKubeClient::Resource(const GroupVersionKind& gvk) {
  return discovery_->ForKind(gvk.group, gvk.version, gvk.kind);
}

Result<ResourceInfo> HttpKubeClient::ResolveResource(std::string_view name) {
  return discovery_->Resolve(name);
}

Result<std::vector<ResourceInfo>> HttpKubeClient::ServerResources() {
  return discovery_->PreferredResources();
}

Result<HttpKubeClient::Target> HttpKubeClient::Locate(const GroupVersionKind& gvk,
                                                      const std::string& namespace_,
                                                      const std::string& name,
                                                      const std::string& verb,
                                                      bool all_namespaces) {
  Target target;
  target.subject = RequestSubject{verb, gvk.group, gvk.version, gvk.kind, "", namespace_, name};
  if (gvk.kind.empty()) {
    return Status::InvalidArgument(target.subject.Describe() + ": no kind given");
  }
  auto info = Resource(gvk);
  if (!info.ok()) return info.status().Prefixed(target.subject.Describe());
  target.info = std::move(info).value();
  target.subject.resource = target.info.resource;
  target.subject.version = target.info.version;
  if (target.info.namespaced) {
    target.namespace_ = namespace_.empty() && !all_namespaces ? default_namespace_ : namespace_;
  }
  target.subject.namespace_ = target.namespace_;
  const ResourceInfo& r = target.info;
  target.path = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (!target.namespace_.empty())
    target.path += "/namespaces/" + EscapeUrlComponent(target.namespace_);
  target.path += "/" + r.resource;
  if (!name.empty()) target.path += "/" + EscapeUrlComponent(name);
  return target;
}

Object HttpKubeClient::BodyFor(const Target& target, const Object& object) const {
  Object body = object.Clone();
  if (target.info.namespaced) {
    body.SetNamespace(target.namespace_);
  } else {
    body.ClearNamespace();
  }
  return body;
}

Result<Object> HttpKubeClient::SendForObject(const Target& target, const HttpRequest& request,
                                             Repeatable repeatable) {
  SendResult sent = sender_->Send(request, repeatable);
  if (!IsSuccess(sent)) {
    Redactor redactor = transport_->redactor();
    if (IsSecret(target.info) && !request.body.empty()) {
      // A Secret's values may come back in a validation error.
      rapidjson::Document doc;
      doc.Parse<rapidjson::kParseIterativeFlag>(request.body.data(), request.body.size());
      if (!doc.HasParseError()) AddSecretValues(doc, &redactor);
    }
    return SendFailureStatus(sent, target.subject, redactor);
  }
  return ParseJsonObject(sent.outcome.response.body, target.subject.Describe());
}

Result<Object> HttpKubeClient::Get(const ObjectKey& key) {
  auto target = Locate(key.gvk, key.namespace_, key.name, "get", false);
  if (!target.ok()) return target.status();
  return SendForObject(target.value(), MakeRequest("GET", target->path), Repeatable::kAlways);
}

Result<Object> HttpKubeClient::GetStatus(const ObjectKey& key) {
  auto target = Locate(key.gvk, key.namespace_, key.name, "get", false);
  if (!target.ok()) return target.status();
  return SendForObject(target.value(), MakeRequest("GET", target->path + "/status"),
                       Repeatable::kAlways);
}

Result<ObjectList> HttpKubeClient::List(const GroupVersionKind& gvk, const std::string& namespace_,
                                        const ListOptions& options) {
  auto target = Locate(gvk, namespace_, "", "list", namespace_.empty());
  if (!target.ok()) return target.status();
  std::string query = Query({{"labelSelector", options.label_selector},
                             {"fieldSelector", options.field_selector},
                             {"limit", options.limit > 0 ? std::to_string(options.limit) : ""},
                             {"continue", options.continue_token},
                             {"resourceVersion", options.resource_version}});
  SendResult sent = sender_->Send(MakeRequest("GET", target->path + query), Repeatable::kAlways);
  if (!IsSuccess(sent)) {
    return SendFailureStatus(sent, target->subject, transport_->redactor());
  }
  rapidjson::Document doc;
  Status status = ParseDocument(sent.outcome.response.body, target->subject.Describe(), &doc);
  if (!status.ok()) return status;
  ObjectList list;
  list.resource_version = GetString(doc, "metadata.resourceVersion");
  list.continue_token = GetString(doc, "metadata.continue");
  if (const JsonValue* items = Find(doc, "items"); items && items->IsArray()) {
    for (const JsonValue& item : items->GetArray()) {
      list.items.push_back(CopyToObject(item, target->info.api_version(), target->info.kind,
                                        target->subject.Describe()));
    }
  }
  return list;
}

Result<Object> HttpKubeClient::Apply(const Object& desired, const ApplyOptions& options) {
  GroupVersionKind gvk = GroupVersionKind::Of(desired);
  auto target = Locate(gvk, desired.namespace_(), desired.name(), "patch", false);
  if (!target.ok()) return target.status();
  if (GetString(desired.json(), "metadata.name").empty()) {
    return Status::InvalidArgument(target->subject.Describe() +
                                   ": server-side apply needs metadata.name");
  }
  Object body = BodyFor(target.value(), desired);
  auto meta = body.mutable_json().FindMember("metadata");
  if (meta != body.mutable_json().MemberEnd() && meta->value.IsObject()) {
    meta->value.RemoveMember("managedFields");  // the API refuses apply bodies that carry them
  }
  std::string query = Query({{"fieldManager", options.field_manager},
                             {"force", options.force ? "true" : ""},
                             {"dryRun", DryRun(options.dry_run)}});
  // The apply content type is YAML's, and JSON is YAML.
  return SendForObject(target.value(),
                       MakeRequest("PATCH", target->path + query, ToJson(body.json()),
                                   "application/apply-patch+yaml"),
                       Repeatable::kAlways);
}

Result<Object> HttpKubeClient::Patch(const ObjectKey& key, PatchType type, std::string_view patch,
                                     const WriteOptions& options) {
  auto target = Locate(key.gvk, key.namespace_, key.name, "patch", false);
  if (!target.ok()) return target.status();
  std::string query =
      Query({{"fieldManager", options.field_manager}, {"dryRun", DryRun(options.dry_run)}});
  Repeatable repeatable = type == PatchType::kJson ? Repeatable::kIfNotSent : Repeatable::kAlways;
  return SendForObject(
      target.value(),
      MakeRequest("PATCH", target->path + query, std::string(patch), PatchContentType(type)),
      repeatable);
}

Result<Object> HttpKubeClient::Create(const Object& object, const WriteOptions& options) {
  GroupVersionKind gvk = GroupVersionKind::Of(object);
  auto target = Locate(gvk, object.namespace_(), "", "create", false);
  if (!target.ok()) return target.status();
  target->subject.name = object.name();
  Object body = BodyFor(target.value(), object);
  std::string query =
      Query({{"fieldManager", options.field_manager}, {"dryRun", DryRun(options.dry_run)}});
  return SendForObject(
      target.value(),
      MakeRequest("POST", target->path + query, ToJson(body.json()), "application/json"),
      Repeatable::kIfNotSent);
}

Result<Object> HttpKubeClient::Replace(const Object& object, const WriteOptions& options) {
  GroupVersionKind gvk = GroupVersionKind::Of(object);
  auto target = Locate(gvk, object.namespace_(), object.name(), "update", false);
  if (!target.ok()) return target.status();
  Object body = BodyFor(target.value(), object);
  std::string query =
      Query({{"fieldManager", options.field_manager}, {"dryRun", DryRun(options.dry_run)}});
  // A PUT is idempotent: the same body may be sent again after a lost answer.
  return SendForObject(
      target.value(),
      MakeRequest("PUT", target->path + query, ToJson(body.json()), "application/json"),
      Repeatable::kAlways);
}

Status HttpKubeClient::Delete(const ObjectKey& key, const DeleteOptions& options) {
  auto target = Locate(key.gvk, key.namespace_, key.name, "delete", false);
  if (!target.ok()) return target.status();
  bool guarded =
      !options.precondition_uid.empty() || !options.precondition_resource_version.empty();
  SendResult sent = sender_->Send(
      MakeRequest("DELETE", target->path + Query({{"dryRun", DryRun(options.dry_run)}}),
                  DeleteBody(options), "application/json"),
      guarded ? Repeatable::kAlways : Repeatable::kIfNotSent);
  if (IsSuccess(sent)) return Status::OK();
  return SendFailureStatus(sent, target->subject, transport_->redactor());
}

Result<WatchResult> HttpKubeClient::Watch(const GroupVersionKind& gvk,
                                          const std::string& namespace_,
                                          const WatchOptions& options,
                                          const WatchHandler& handler) {
  auto target = Locate(gvk, namespace_, "", "watch", namespace_.empty());
  if (!target.ok()) return target.status();
  int64_t timeout_seconds = std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(options.timeout + milliseconds(999))
             .count());
  std::string query = Query({{"watch", "1"},
                             {"labelSelector", options.label_selector},
                             {"fieldSelector", options.field_selector},
                             {"resourceVersion", options.resource_version},
                             {"allowWatchBookmarks", options.allow_bookmarks ? "true" : ""},
                             {"timeoutSeconds", std::to_string(timeout_seconds)}});
  WatchDecoder decoder(target->info, handler, std::chrono::steady_clock::now() + options.timeout);
  // Silence longer than the server's own timeout means the stream is dead.
  milliseconds idle = milliseconds(timeout_seconds * 1000) + std::chrono::seconds(15);
  HttpOutcome outcome = transport_->Stream(
      MakeRequest("GET", target->path + query),
      [&decoder](std::string_view chunk) { return decoder.Feed(chunk); }, idle);
  if (!decoder.error().ok()) return decoder.error().Prefixed(target->subject.Describe());
  WatchResult result = decoder.result();
  if (result.resource_version.empty()) result.resource_version = options.resource_version;
  int status = outcome.response.status;
  if (status == 410) {
    result.end = WatchEnd::kExpired;
    return result;
  }
  if (status == 200) return result;  // ended by the server, the handler or a broken stream
  SendResult sent;
  sent.outcome = std::move(outcome);
  sent.attempts = 1;
  return SendFailureStatus(sent, target->subject, transport_->redactor());
}

// ---- Built on the interface. ----

Result<ObjectList> ListAll(KubeClient& client, const GroupVersionKind& gvk,
                           const std::string& namespace_, ListOptions options) {
  if (options.limit <= 0) options.limit = kDefaultPageSize;
  options.continue_token.clear();
  ObjectList all;
  bool restarted = false;
  for (;;) {
    auto page = client.List(gvk, namespace_, options);
    if (!page.ok()) {
      if (IsExpired(page.status()) && !restarted && !options.continue_token.empty()) {
        restarted = true;  // the token outlived etcd's history: start over once
        options.continue_token.clear();
        all.items.clear();
        continue;
      }
      return page.status();
    }
    for (Object& item : page->items) all.items.push_back(std::move(item));
    if (all.resource_version.empty()) all.resource_version = page->resource_version;
    if (page->continue_token.empty()) return all;
    options.continue_token = page->continue_token;
  }
}

namespace {

/// State of one WaitFor: the deadline and what was seen last.
class Waiter {
 public:
  Waiter(const std::function<bool(const Object*)>& done, milliseconds timeout)
      : done_(done), deadline_(std::chrono::steady_clock::now() + timeout) {}

  bool Observe(const Object* object) {
    outcome_.object.reset();
    if (object) outcome_.object = object->Clone();
    outcome_.satisfied = done_(object);
    return outcome_.satisfied;
  }
  milliseconds Remaining() const {
    return std::chrono::duration_cast<milliseconds>(deadline_ - std::chrono::steady_clock::now());
  }
  WaitOutcome Take() { return std::move(outcome_); }
  bool satisfied() const { return outcome_.satisfied; }

 private:
  const std::function<bool(const Object*)>& done_;
  std::chrono::steady_clock::time_point deadline_;
  WaitOutcome outcome_;
};

}  // namespace

Result<WaitOutcome> WaitFor(KubeClient& client, const ObjectKey& key,
                            const std::function<bool(const Object* object)>& done,
                            const WaitOptions& options) {
  auto info = client.Resource(key.gvk);
  if (!info.ok()) return info.status();
  std::string namespace_ = !info->namespaced        ? ""
                           : key.namespace_.empty() ? client.default_namespace()
                                                    : key.namespace_;
  ListOptions by_name;
  by_name.field_selector = "metadata.name=" + key.name;
  Waiter waiter(done, options.timeout);
  bool polling = false;
  for (;;) {
    auto list = client.List(key.gvk, namespace_, by_name);
    if (!list.ok()) return list.status();
    if (waiter.Observe(list->items.empty() ? nullptr : &list->items.front())) return waiter.Take();
    if (waiter.Remaining().count() <= 0) return waiter.Take();
    if (polling) {
      std::this_thread::sleep_for(std::min(options.poll_interval, waiter.Remaining()));
      continue;
    }
    WatchOptions watch;
    watch.field_selector = by_name.field_selector;
    watch.resource_version = list->resource_version;
    for (;;) {
      watch.timeout = waiter.Remaining();
      if (watch.timeout.count() <= 0) return waiter.Take();
      auto started = std::chrono::steady_clock::now();
      auto result = client.Watch(key.gvk, namespace_, watch, [&](const WatchEvent& event) {
        if (event.type == WatchEvent::Type::kBookmark) return true;
        bool gone = event.type == WatchEvent::Type::kDeleted;
        return !waiter.Observe(gone ? nullptr : &event.object);
      });
      if (waiter.satisfied()) return waiter.Take();
      if (!result.ok()) {
        polling = true;  // watching refused or failing: GET at intervals instead
        break;
      }
      if (result->end == WatchEnd::kExpired) break;
      watch.resource_version = result->resource_version;
      if (std::chrono::steady_clock::now() - started < kQuickWatchEnd) {
        // A stream that ends at once (a proxy cutting it) must not become a busy loop.
        std::this_thread::sleep_for(std::min(kQuickWatchEnd / 5, waiter.Remaining()));
      }
    }
  }
}

}  // namespace mlgitops
