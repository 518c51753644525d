// The scale subresource: an autoscaling/v1 Scale view of spec.replicas, as kubectl scale and
// autoscalers use it.
#include <algorithm>

#include "kubesim/api_server.h"
#include "kubesim/json_util.h"
#include "kubesim/managed_fields.h"
#include "kubesim/merge_schema.h"
#include "kubesim/patch.h"
#include "kubesim/scale_view.h"

namespace mlgitops::kubesim {

namespace {

std::string SelectorText(const JsonValue& object) {
  std::string out;
  const JsonValue* labels = Find(object, "spec.selector.matchLabels");
  if (!labels) labels = Find(object, "spec.selector");  // ReplicationController
  if (!labels || !labels->IsObject()) return out;
  for (const auto& m : labels->GetObject()) {
    if (!m.value.IsString()) continue;
    if (!out.empty()) out += ',';
    out += std::string(View(m.name)) + "=" + m.value.GetString();
  }
  return out;
}

}  // namespace

std::string SpecReplicasPath(const ResourceType& type) {
  return type.scale_spec_path.empty() ? "spec.replicas" : type.scale_spec_path;
}

Object ScaleOf(const JsonValue& object, const ResourceType& type) {
  Object scale;
  JsonValue& root = scale.mutable_json();
  JsonAllocator& a = scale.allocator();
  SetString(root, "kind", "Scale", a);
  SetString(root, "apiVersion", "autoscaling/v1", a);
  JsonValue& meta = EnsureObject(root, "metadata", a);
  for (const char* key : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    SetString(meta, key, GetString(object, std::string("metadata.") + key), a);
  }
  if (!type.crd_name.empty()) {
    // Custom resources (apiextensions scale): absent values read as 0 and "".
    SetPath(root, "spec.replicas", JsonValue(GetInt(object, type.scale_spec_path).value_or(0)), a);
    SetPath(root, "status.replicas", JsonValue(GetInt(object, type.scale_status_path).value_or(0)),
            a);
    std::string selector =
        type.scale_selector_path.empty() ? "" : GetString(object, type.scale_selector_path);
    SetPath(root, "status.selector", Str(selector, a), a);
    return scale;
  }
  SetPath(root, "spec.replicas", JsonValue(GetInt(object, "spec.replicas").value_or(1)), a);
  SetPath(root, "status.replicas", JsonValue(GetInt(object, "status.replicas").value_or(0)), a);
  SetPath(root, "status.selector", Str(SelectorText(object), a), a);
  return scale;
}

HttpResponse ApiServer::Scale(const Call& call) {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  ObjectPtr live = store_.Get(call.type.storage_key(), call.namespace_, call.info.name);
  if (!live) return ErrorResponse(NotFound(call.type.group, call.type.plural, call.info.name));
  if (call.info.verb == "get")
    return JsonResponse(200, ToJson(ScaleOf(live->json(), call.type).json()));
  if (call.info.verb != "update" && call.info.verb != "patch") {
    return ErrorResponse(MethodNotAllowedOnResource());
  }
  Object scale = ScaleOf(live->json(), call.type);
  auto body = ParseJson(call.request.body, "scale");
  if (!body.ok()) return ErrorResponse(BadRequest(body.status().message()));
  std::string media = MediaType(call.request.content_type);
  Status applied = Status::OK();
  if (call.info.verb == "update") {
    scale = std::move(*body);
  } else if (media == "application/json-patch+json") {
    applied = ApplyJsonPatch(scale.mutable_json(), body->json(), scale.allocator());
  } else {
    ApplyMergePatch(scale.mutable_json(), body->json(), scale.allocator());
  }
  auto replicas = GetInt(scale.json(), "spec.replicas");
  if (!applied.ok() || !replicas || *replicas < 0) {
    return ErrorResponse(
        Invalid("autoscaling", "Scale", call.info.name,
                {{"FieldValueInvalid", "Invalid value: must be greater than or equal to 0",
                  "spec.replicas"}}));
  }
  Object next = live->Clone();
  SetPath(next.mutable_json(), SpecReplicasPath(call.type), JsonValue(*replicas), next.allocator());
  std::string sent_rv = GetString(scale.json(), "metadata.resourceVersion");
  if (!sent_rv.empty()) {
    SetPath(next.mutable_json(), "metadata.resourceVersion", Str(sent_rv, next.allocator()),
            next.allocator());
  }
  std::string manager = FieldManagerOf(call.request.Query("fieldManager"), call.request.user_agent);
  WriteContext ctx{call.type, manager, "scale", IsDryRun(call.request)};
  auto committed = CommitUpdate(ctx, live, std::move(next), false);
  if (!committed.ok()) return ErrorResponse(committed.error());
  return JsonResponse(200, ToJson(ScaleOf(committed->object->json(), call.type).json()));
}

}  // namespace mlgitops::kubesim
