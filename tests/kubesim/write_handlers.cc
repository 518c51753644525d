// Create and update (PUT), and the commit path every write shares: validation, system
// metadata, defaults, generation, status-subresource rules, managedFields, dry run.
#include <algorithm>

#include "kubesim/admission_match.h"
#include "kubesim/api_server.h"
#include "kubesim/crd.h"
#include "kubesim/custom_resources.h"
#include "kubesim/defaults.h"
#include "kubesim/deletion.h"
#include "kubesim/field_set.h"
#include "kubesim/field_validation.h"
#include "kubesim/immutability.h"
#include "kubesim/json_util.h"
#include "kubesim/managed_fields.h"
#include "kubesim/merge_schema.h"
#include "kubesim/object_rules.h"
#include "kubesim/protobuf.h"
#include "kubesim/validation.h"

namespace mlgitops::kubesim {

namespace {

bool IsCrdType(const ResourceType& t) {
  return t.group == "apiextensions.k8s.io" && t.kind == "CustomResourceDefinition";
}

// RBAC names only have to be valid path segments (ClusterRoles such as "system:admin").
std::vector<StatusCause> ValidateNameFor(const ResourceType& type, const std::string& name) {
  if (type.group != "rbac.authorization.k8s.io") {
    NameRule rule = type.group.empty() && type.kind == "Namespace" ? NameRule::kDns1123Label
                    : type.group.empty() && type.kind == "Service" ? NameRule::kDns1035Label
                                                                   : NameRule::kDns1123Subdomain;
    return ValidateName(name, rule);
  }
  std::vector<StatusCause> causes;
  if (name.empty()) {
    causes.push_back({"FieldValueRequired", "Required value: name or generateName is required",
                      "metadata.name"});
  } else if (name == "." || name == ".." || name.find_first_of("/%") != std::string::npos) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: \"" + name + "\": may not contain '/' or '%'",
                      "metadata.name"});
  }
  return causes;
}

void PreserveSystemMetadata(JsonValue& next, const JsonValue& old, JsonAllocator& a) {
  JsonValue& meta = EnsureObject(next, "metadata", a);
  const JsonValue* old_meta = FindMember(old, "metadata");
  if (!old_meta) return;
  for (const char* key : {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "generation", "resourceVersion"}) {
    CopyMemberFrom(meta, *old_meta, key, a);
  }
}

// fieldmanager.Update: managedFields a client writes to the main resource (kubectl's CSA to SSA
// upgrade patch does) replace the stored ones before the write itself is recorded; an empty or
// absent list keeps the stored ones.
std::vector<ManagedEntry> ClientManagedFields(const JsonValue& sent,
                                              const std::string& subresource) {
  if (!subresource.empty()) return {};
  return ReadManagedFields(sent);
}

}  // namespace

ApiResult<Object> ApiServer::DecodeBody(const Call& call, bool yaml_allowed) {
  std::string media = MediaType(call.request.content_type);
  bool yaml = media == "application/yaml";
  bool protobuf = media == "application/vnd.kubernetes.protobuf";
  if (!(media == "application/json" || media.empty() || protobuf || (yaml && yaml_allowed))) {
    return UnsupportedMediaType(call.request.content_type);
  }
  auto parsed = protobuf ? DecodeKubernetesProtobuf(call.request.body)
                : yaml   ? ParseJsonOrYaml(call.request.body, "request body")
                         : ParseJson(call.request.body, "request body");
  if (!parsed.ok() && parsed.status().code() == Status::Code::kUnsupported) {
    return UnsupportedMediaType(call.request.content_type);
  }
  if (!parsed.ok()) {
    return BadRequest("the object provided is unrecognized (must be of type " + call.type.kind +
                      "): " + parsed.status().message());
  }
  Object object = std::move(*parsed);
  JsonValue& root = object.mutable_json();
  JsonAllocator& a = object.allocator();
  if (!root.IsObject()) {
    return BadRequest("the object provided is unrecognized (must be of type " + call.type.kind +
                      ")");
  }
  std::string api_version = GetString(root, "apiVersion");
  std::string kind = GetString(root, "kind");
  if (!api_version.empty() && api_version != call.type.api_version()) {
    bool same_group = object.group() == call.type.group;
    if (!same_group) {
      return BadRequest("the API version in the data (" + api_version +
                        ") does not match the expected API version (" + call.type.api_version() +
                        ")");
    }
  }
  if (!kind.empty() && kind != call.type.kind) {
    return BadRequest("the kind in the data (" + kind + ") does not match the expected kind (" +
                      call.type.kind + ")");
  }
  SetString(root, "apiVersion", call.type.api_version(), a);
  SetString(root, "kind", call.type.kind, a);
  JsonValue& meta = EnsureObject(root, "metadata", a);
  std::string body_ns = GetString(meta, "namespace");
  if (call.type.namespaced) {
    if (!body_ns.empty() && body_ns != call.namespace_) {
      return BadRequest(
          "the namespace of the provided object does not match the namespace sent "
          "on the request");
    }
    SetString(meta, "namespace", call.namespace_, a);
  } else {
    RemoveMember(meta, "namespace");
  }
  return object;
}

ApiError ApiServer::CheckNamespaceWritable(const ResourceType& type, const std::string& ns,
                                           const std::string& name) {
  ObjectPtr owner = store_.Get("/namespaces", "", ns);
  if (!owner) return NotFound("", "namespaces", ns);
  if (Find(owner->json(), "metadata.deletionTimestamp")) {
    std::string why =
        "unable to create new content in namespace " + ns + " because it is being terminated";
    ApiError e = Forbidden(type.group, type.plural, name, why);
    e.causes.push_back({"NamespaceTerminating", why, "metadata.namespace"});
    return e;
  }
  ApiError ok;
  ok.code = 0;
  return ok;
}

HttpResponse ApiServer::Create(const Call& call) {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  auto body = DecodeBody(call, true);
  if (!body.ok()) return ErrorResponse(body.error());
  Object object = std::move(*body);
  // Unknown and duplicate fields under the request's fieldValidation (field_validation.h).
  auto fields = ValidateBodyFields(call.request, call.type, "CreateOptions", object.mutable_json());
  if (fields) return ErrorResponse(*fields);
  JsonValue& meta = EnsureObject(object.mutable_json(), "metadata", object.allocator());
  std::string name = GetString(meta, "name");
  std::string generate = GetString(meta, "generateName");
  if (name.empty() && !generate.empty()) {
    name = generate.substr(0, 58) + GenerateNameSuffix();
    SetString(meta, "name", name, object.allocator());
  }
  std::string manager = FieldManagerOf(call.request.Query("fieldManager"), call.request.user_agent);
  WriteContext ctx{call.type, manager, "", IsDryRun(call.request)};
  ctx.field_validation = call.request.Query("fieldValidation");
  auto committed = CommitCreate(ctx, std::move(object), false);
  HttpResponse response = committed.ok() ? JsonResponse(201, Render(committed->object, call.type))
                                         : ErrorResponse(committed.error());
  response.created_name = name;
  return response;
}

HttpResponse ApiServer::Update(const Call& call) {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  auto body = DecodeBody(call, true);
  if (!body.ok()) return ErrorResponse(body.error());
  Object object = std::move(*body);
  // Unknown and duplicate fields under the request's fieldValidation (field_validation.h).
  auto fields = ValidateBodyFields(call.request, call.type, "UpdateOptions", object.mutable_json());
  if (fields) return ErrorResponse(*fields);
  JsonValue& meta = EnsureObject(object.mutable_json(), "metadata", object.allocator());
  std::string name = GetString(meta, "name");
  if (name.empty()) {
    SetString(meta, "name", call.info.name, object.allocator());
  } else if (name != call.info.name) {
    return ErrorResponse(BadRequest("the name of the object (" + name +
                                    ") does not match the name on the URL (" + call.info.name +
                                    ")"));
  }
  ObjectPtr old = store_.Get(call.type.storage_key(), call.namespace_, call.info.name);
  if (!old) return ErrorResponse(NotFound(call.type.group, call.type.plural, call.info.name));
  std::string manager = FieldManagerOf(call.request.Query("fieldManager"), call.request.user_agent);
  WriteContext ctx{call.type, manager, call.info.subresource, IsDryRun(call.request)};
  ctx.field_validation = call.request.Query("fieldValidation");
  auto committed = CommitUpdate(ctx, old, std::move(object), false);
  if (!committed.ok()) return ErrorResponse(committed.error());
  return JsonResponse(200, Render(committed->object, call.type));
}

// A custom resource a mutating webhook changed is decoded again as kube-apiserver decodes webhook
// output: unknown fields pruned silently (fieldValidation does not apply to them), schema defaults
// applied, and validated.
std::optional<ApiError> ApiServer::ReprepareMutated(const ResourceType& type, bool mutated,
                                                    Object* object, const JsonValue* old) {
  if (!mutated || type.crd_name.empty()) return std::nullopt;
  return PrepareCustomResource(store_, type, object, old, CustomResourceWrite{"Ignore"});
}

ApiResult<ApiServer::Committed> ApiServer::CommitCreate(const WriteContext& ctx, Object object,
                                                        bool managed) {
  const ResourceType& type = ctx.type;
  JsonValue& root = object.mutable_json();
  JsonAllocator& a = object.allocator();
  JsonValue& meta = EnsureObject(root, "metadata", a);
  std::string name = GetString(meta, "name");
  std::string ns = type.namespaced ? GetString(meta, "namespace") : "";
  if (auto undecodable = CheckBuiltinDecoding(type, root)) return *undecodable;  // validation.h
  if (type.namespaced) {
    ApiError blocked = CheckNamespaceWritable(type, ns, name);
    if (blocked.code != 0) return blocked;
  }
  if (store_.Get(type.storage_key(), ns, name)) {
    return AlreadyExists(type.group, type.plural, name);
  }
  for (const char* key :
       {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"}) {
    RemoveMember(meta, key);
  }
  SetString(meta, "uid", NewUid(), a);
  SetString(meta, "creationTimestamp", NowTimestamp(), a);
  if (type.tracks_generation) {
    SetInt(meta, "generation", 1, a);
  } else {
    RemoveMember(meta, "generation");
  }
  if (type.has_status) RemoveMember(root, "status");
  ApplyDefaults(type, root, nullptr, a);
  if (!type.crd_name.empty()) {  // schema pruning, defaults, validation (custom_resources.h)
    CustomResourceWrite write{ctx.field_validation, managed, ctx.patch};
    if (auto refused = PrepareCustomResource(store_, type, &object, nullptr, write))
      return *refused;
  }
  // kube-apiserver's order (handlers/create.go, registry/rest/create.go): mutating admission,
  // then the strategy's validation, then validating admission on what will be stored. So a
  // webhook may complete an object that would not validate as sent, and cannot make it invalid.
  AdmissionAttributes admission{"CREATE", &type,       ctx.subresource, ns,
                                name,     ctx.dry_run, ctx.manager,     ""};
  bool mutated = false;
  if (auto refused = admission_.Mutate(admission, &object, nullptr, &mutated)) return *refused;
  if (auto refused = ReprepareMutated(type, mutated, &object, nullptr)) return *refused;
  std::vector<StatusCause> causes = ValidateNameFor(type, name);
  if (causes.empty() && IsCrdType(type)) causes = ValidateCrd(root);
  if (causes.empty() && type.group == "admissionregistration.k8s.io") {
    causes = ValidateMatchConditions(root);  // admission_match.h
  }
  if (causes.empty()) causes = ValidateBuiltin(type, root);  // validation.h
  if (!causes.empty()) return Invalid(type.group, type.kind, name, causes);
  ApplyInitialStatus(type, root, a);
  if (IsCrdType(type)) SetCrdStatus(root, nullptr, NowTimestamp(), a);
  if (!managed) {
    std::vector<ManagedEntry> entries = ClientManagedFields(root, "");
    MergeSchema schema(type);
    ManagedEntry writer{ctx.manager, "Update", type.api_version(), NowTimestamp(), "", {}};
    RecordUpdate(&entries, writer, FieldSet::Of(root, schema, false), FieldSet());
    WriteManagedFields(root, entries, a);
  }
  if (auto refused = CheckRbacWrite(type, ns, name, root, nullptr)) return *refused;  // RBAC
  if (auto refused = admission_.Validate(admission, &object, nullptr)) return *refused;
  if (ctx.dry_run) return Committed{std::make_shared<const Object>(std::move(object)), true, false};
  Committed result{store_.Put(type.storage_key(), std::move(object)), true, false};
  AfterWrite(type, result);
  return result;
}

ApiResult<ApiServer::Committed> ApiServer::CommitUpdate(const WriteContext& ctx,
                                                        const ObjectPtr& old, Object next,
                                                        bool managed) {
  const ResourceType& type = ctx.type;
  const JsonValue& before = old->json();
  std::string name = GetString(before, "metadata.name");
  std::string sent_rv = GetString(next.json(), "metadata.resourceVersion");
  if (!sent_rv.empty() && sent_rv != GetString(before, "metadata.resourceVersion")) {
    return Conflict(type.group, type.plural, name,
                    "the object has been modified; please apply your changes to the latest "
                    "version and try again");
  }
  std::string sent_uid = GetString(next.json(), "metadata.uid");
  std::string uid = GetString(before, "metadata.uid");
  if (!sent_uid.empty() && sent_uid != uid) {
    return Conflict(
        type.group, type.plural, name,
        "Precondition failed: UID in precondition: " + sent_uid + ", UID in object meta: " + uid);
  }
  bool status_write = ctx.subresource == "status";
  if (status_write) {
    // The status subresource changes status and nothing else.
    Object merged = old->Clone();
    CopyMemberFrom(merged.mutable_json(), next.json(), "status", merged.allocator());
    if (managed) {
      // Server-side apply computed the owners already.
      const JsonValue* fields = Find(next.json(), "metadata.managedFields");
      JsonValue& meta = EnsureObject(merged.mutable_json(), "metadata", merged.allocator());
      if (fields)
        SetMember(meta, "managedFields", JsonValue(*fields, merged.allocator()),
                  merged.allocator());
    }
    next = std::move(merged);
  }
  JsonValue& root = next.mutable_json();
  JsonAllocator& a = next.allocator();
  PreserveSystemMetadata(root, before, a);
  if (type.has_status && !status_write) CopyMemberFrom(root, before, "status", a);
  if (auto undecodable = CheckBuiltinDecoding(type, root)) return *undecodable;  // validation.h
  ApplyDefaults(type, root, &before, a);
  if (!type.crd_name.empty()) {  // schema pruning, defaults, validation (custom_resources.h)
    CustomResourceWrite write{ctx.field_validation, managed, ctx.patch};
    if (auto refused = PrepareCustomResource(store_, type, &next, &before, write)) return *refused;
  }
  // Mutating admission, validation, validating admission: kube-apiserver's order (as on create).
  AdmissionAttributes admission{"UPDATE", &type,       ctx.subresource, old->namespace_(),
                                name,     ctx.dry_run, ctx.manager,     ""};
  bool mutated = false;
  if (auto refused = admission_.Mutate(admission, &next, &before, &mutated)) return *refused;
  if (auto refused = ReprepareMutated(type, mutated, &next, &before)) return *refused;

  std::vector<StatusCause> causes;
  if (IsCrdType(type)) causes = ValidateCrd(root);
  if (!status_write && causes.empty()) causes = ValidateBuiltin(type, root);  // validation.h
  if (causes.empty() && type.group == "admissionregistration.k8s.io") {
    causes = ValidateMatchConditions(root);  // admission_match.h
  }
  if (Find(before, "metadata.deletionTimestamp")) {
    std::vector<std::string> had = FinalizersOf(before);
    std::vector<std::string> added;
    for (const std::string& f : FinalizersOf(root)) {
      if (std::find(had.begin(), had.end(), f) == had.end()) added.push_back(f);
    }
    if (!added.empty()) {
      std::string list;
      for (const std::string& f : added) list += (list.empty() ? "\"" : ", \"") + f + "\"";
      causes.push_back({"FieldValueForbidden",
                        "Forbidden: no new finalizers can be added if the object is being "
                        "deleted, found new finalizers []string{" +
                            list + "}",
                        "metadata.finalizers"});
    }
  }
  // Immutable fields (immutability.h), judged after defaulting as kube-apiserver does.
  if (!status_write) {
    for (StatusCause& c : ImmutableFieldCauses(type, before, root, ctx.manager)) {
      causes.push_back(std::move(c));
    }
  }
  if (!causes.empty()) return Invalid(type.group, type.kind, name, causes);

  if (type.tracks_generation && !status_write && SpecChanged(before, root)) {
    SetInt(EnsureObject(root, "metadata", a), "generation",
           GetInt(before, "metadata.generation").value_or(0) + 1, a);
  }
  if (IsCrdType(type) && !status_write) SetCrdStatus(root, &before, NowTimestamp(), a);
  if (!managed) {
    MergeSchema schema(type);
    std::vector<ManagedEntry> entries = ClientManagedFields(root, ctx.subresource);
    if (entries.empty()) entries = ReadManagedFields(before);
    FieldSet changed = FieldSet::Changed(before, root, schema, status_write);
    FieldSet removed =
        FieldSet::Of(before, schema, status_write).Minus(FieldSet::Of(root, schema, status_write));
    ManagedEntry writer{ctx.manager,    "Update",        type.api_version(),
                        NowTimestamp(), ctx.subresource, {}};
    RecordUpdate(&entries, writer, changed, removed);
    WriteManagedFields(root, entries, a);
  }
  if (auto refused = CheckRbacWrite(type, old->namespace_(), name, root, &before)) {
    return *refused;  // RBAC escalation and bind checks (auth_handlers.cc)
  }
  if (auto refused = admission_.Validate(admission, &next, &before)) return *refused;
  if (SameObject(before, root)) return Committed{old, false, false};

  // ShouldDeleteDuringUpdate: a Pod in its grace period stays until the kubelet deletes it.
  bool finished = Find(root, "metadata.deletionTimestamp") && FinalizersOf(root).empty() &&
                  GetInt(root, "metadata.deletionGracePeriodSeconds").value_or(0) == 0;
  if (ctx.dry_run) {
    return Committed{std::make_shared<const Object>(std::move(next)), false, finished};
  }
  if (finished) {
    Object final_state = next.Clone();
    store_.Remove(type.storage_key(), std::move(final_state));
    Committed result{std::make_shared<const Object>(std::move(next)), false, true};
    AfterWrite(type, result);
    return result;
  }
  Committed result{store_.Put(type.storage_key(), std::move(next)), false, false};
  AfterWrite(type, result);
  return result;
}

void ApiServer::AfterWrite(const ResourceType& type, const Committed& result) {
  if (!IsCrdType(type)) return;
  std::string name = GetString(result.object->json(), "metadata.name");
  if (result.deleted) {
    RemoveCustomResources(type, result.object);
    catalog_.SetCustomTypes(name, {});
    return;
  }
  catalog_.SetCustomTypes(name, TypesFromCrd(result.object->json()));
}

}  // namespace mlgitops::kubesim
