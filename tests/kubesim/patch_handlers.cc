// PATCH: JSON merge, JSON patch, strategic merge and server-side apply.
#include <algorithm>

#include "kubesim/api_server.h"
#include "kubesim/apply.h"
#include "kubesim/field_validation.h"
#include "kubesim/immutability.h"
#include "kubesim/json_util.h"
#include "kubesim/managed_fields.h"
#include "kubesim/merge_schema.h"
#include "kubesim/object_rules.h"
#include "kubesim/patch.h"

namespace mlgitops::kubesim {

namespace {

ApiError PatchMediaTypeError(bool custom) {
  ApiError e = UnsupportedMediaType("");
  e.message = custom ? "the body of the request was in an unknown format - accepted media types "
                       "include: application/json-patch+json, application/merge-patch+json, "
                       "application/apply-patch+yaml"
                     : "the body of the request was in an unknown format - accepted media types "
                       "include: application/json-patch+json, application/merge-patch+json, "
                       "application/strategic-merge-patch+json, application/apply-patch+yaml";
  return e;
}

// Patches cannot move an object: identity fields always come from the stored object.
void RestoreIdentity(JsonValue& next, const JsonValue& live, JsonAllocator& a) {
  CopyMemberFrom(next, live, "apiVersion", a);
  CopyMemberFrom(next, live, "kind", a);
  JsonValue& meta = EnsureObject(next, "metadata", a);
  if (const JsonValue* live_meta = FindMember(live, "metadata")) {
    CopyMemberFrom(meta, *live_meta, "name", a);
    CopyMemberFrom(meta, *live_meta, "namespace", a);
  }
}

}  // namespace

HttpResponse ApiServer::Patch(const Call& call) {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  std::string media = MediaType(call.request.content_type);
  ObjectPtr live = store_.Get(call.type.storage_key(), call.namespace_, call.info.name);
  if (media == "application/apply-patch+yaml") return Apply(call, live);
  bool custom = !call.type.crd_name.empty();
  bool known = media == "application/merge-patch+json" || media == "application/json-patch+json" ||
               (media == "application/strategic-merge-patch+json" && !custom);
  if (!known) return ErrorResponse(PatchMediaTypeError(custom));
  if (!live) return ErrorResponse(NotFound(call.type.group, call.type.plural, call.info.name));
  if (call.request.HasQuery("force")) {
    return ErrorResponse(BadRequest("force may not be set for non-apply patch requests"));
  }
  auto patch = ParseJson(call.request.body, "patch");
  if (!patch.ok()) return ErrorResponse(BadRequest(patch.status().message()));
  auto field_mode = ParseFieldValidation(call.request, "PatchOptions");  // field_validation.h
  if (!field_mode.ok()) return ErrorResponse(field_mode.error());
  std::vector<FieldProblem> patch_problems;
  bool json_patch = media == "application/json-patch+json";
  if (!json_patch && call.type.crd_name.empty()) {
    DropDuplicateFields(patch->mutable_json(), "", &patch_problems);
  }

  Object next = live->Clone();
  JsonValue& root = next.mutable_json();
  JsonAllocator& a = next.allocator();
  Status applied = Status::OK();
  if (media == "application/merge-patch+json") {
    if (!patch->json().IsObject()) {
      return ErrorResponse(BadRequest("the merge patch must be a JSON object"));
    }
    ApplyMergePatch(root, patch->json(), a);
  } else if (media == "application/json-patch+json") {
    applied = ApplyJsonPatch(root, patch->json(), a);
  } else {
    applied = ApplyStrategicMergePatch(root, patch->json(), MergeSchema(call.type), a);
  }
  if (!applied.ok()) {
    ApiError e = Invalid(call.type.group, call.type.kind, call.info.name, {});
    e.message = applied.message();
    return ErrorResponse(e);
  }
  if (auto refused = CheckPatchedIdentity(call.type, live->json(), root)) {
    return ErrorResponse(*refused);
  }
  RestoreIdentity(root, live->json(), a);
  bool strategic = media == "application/strategic-merge-patch+json";
  auto fields = ValidatePatchedFields(*field_mode, call.type,
                                      strategic ? GoValueText(patch->json()) : ToJson(root),
                                      std::move(patch_problems), root);
  if (fields) return ErrorResponse(*fields);
  std::string manager = FieldManagerOf(call.request.Query("fieldManager"), call.request.user_agent);
  WriteContext ctx{call.type, manager, call.info.subresource, IsDryRun(call.request)};
  ctx.field_validation = call.request.Query("fieldValidation");
  ctx.patch = true;
  auto committed = CommitUpdate(ctx, live, std::move(next), false);
  if (!committed.ok()) return ErrorResponse(committed.error());
  return JsonResponse(200, Render(committed->object, call.type));
}

HttpResponse ApiServer::Apply(const Call& call, const ObjectPtr& live) {
  const ResourceType& type = call.type;
  std::string manager = call.request.Query("fieldManager");
  if (manager.empty()) {
    ApiError e = Invalid(
        "meta.k8s.io", "PatchOptions", "",
        {{"FieldValueRequired", "Required value: is required for apply patch", "fieldManager"}});
    return ErrorResponse(e);
  }
  auto parsed = ParseJsonOrYaml(call.request.body, "apply patch");
  if (!parsed.ok()) return ErrorResponse(BadRequest(parsed.status().message()));
  Object config = std::move(*parsed);
  JsonValue& root = config.mutable_json();
  JsonAllocator& a = config.allocator();
  if (!root.IsObject()) return ErrorResponse(BadRequest("apply patch must be an object"));
  auto field_mode = ParseFieldValidation(call.request, "PatchOptions");  // field_validation.h
  if (!field_mode.ok()) return ErrorResponse(field_mode.error());
  if (type.crd_name.empty()) {
    std::vector<FieldProblem> duplicates;
    DropDuplicateFields(root, "", &duplicates);
    if (*field_mode == FieldValidation::kWarn) WarnFieldProblems(duplicates);
  }
  std::string api_version = GetString(root, "apiVersion");
  std::string kind = GetString(root, "kind");
  if (api_version.empty() || kind.empty()) {
    return ErrorResponse(BadRequest("invalid object type: " + api_version + ", Kind=" + kind));
  }
  if (kind != type.kind || config.group() != type.group) {
    return ErrorResponse(BadRequest("the API version in the data (" + api_version +
                                    ") does not match the expected API version (" +
                                    type.api_version() + ")"));
  }
  SetString(root, "apiVersion", type.api_version(), a);
  JsonValue& meta = EnsureObject(root, "metadata", a);
  std::string name = GetString(meta, "name");
  if (!name.empty() && name != call.info.name) {
    return ErrorResponse(BadRequest("the name of the object (" + name +
                                    ") does not match the name on the URL (" + call.info.name +
                                    ")"));
  }
  SetString(meta, "name", call.info.name, a);
  std::string ns = GetString(meta, "namespace");
  if (type.namespaced && !ns.empty() && ns != call.namespace_) {
    return ErrorResponse(
        BadRequest("the namespace of the provided object does not match the "
                   "namespace sent on the request"));
  }
  if (type.namespaced) SetString(meta, "namespace", call.namespace_, a);
  if (!type.namespaced) RemoveMember(meta, "namespace");
  if (const JsonValue* mf = FindMember(meta, "managedFields"); mf && !mf->IsNull()) {
    return ErrorResponse(BadRequest("metadata.managedFields must be nil"));
  }
  std::string sent_rv = GetString(meta, "resourceVersion");
  if (live && !sent_rv.empty() && sent_rv != GetString(live->json(), "metadata.resourceVersion")) {
    return ErrorResponse(Conflict(type.group, type.plural, call.info.name,
                                  "the object has been modified; please apply your changes to "
                                  "the latest version and try again"));
  }
  if (!live && !call.info.subresource.empty()) {
    return ErrorResponse(NotFound(type.group, type.plural, call.info.name));
  }

  if (auto undeclared = CheckApplyFields(type, call.namespace_, call.info.name, root)) {
    return ErrorResponse(*undeclared);  // field_validation.h: typed apply configurations
  }
  ApplyParams params;
  params.manager = manager;
  params.force = call.request.QueryBool("force");
  params.api_version = type.api_version();
  params.subresource = call.info.subresource;
  params.time = NowTimestamp();
  MergeSchema schema(type);
  Object empty;
  ApplyResult result = ServerSideApply(live ? live->json() : empty.json(), root, schema, params);
  if (!result.conflicts.empty()) {
    return ErrorResponse(
        ApplyConflictError(type.group, type.plural, call.info.name, result.conflicts));
  }
  WriteContext ctx{type, manager, call.info.subresource, IsDryRun(call.request)};
  ctx.field_validation = call.request.Query("fieldValidation");
  if (!live) {
    auto created = CommitCreate(ctx, std::move(result.object), true);
    if (!created.ok()) return ErrorResponse(created.error());
    return JsonResponse(201, Render(created->object, type));
  }
  if (auto refused = CheckPatchedIdentity(type, live->json(), result.object.json())) {
    return ErrorResponse(*refused);
  }
  auto committed = CommitUpdate(ctx, live, std::move(result.object), true);
  if (!committed.ok()) return ErrorResponse(committed.error());
  return JsonResponse(200, Render(committed->object, type));
}

}  // namespace mlgitops::kubesim
