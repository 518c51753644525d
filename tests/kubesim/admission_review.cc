// Building AdmissionReview requests and checking the answers.
#include "kubesim/admission_review.h"

#include "kubesim/encoding.h"
#include "kubesim/json_util.h"
#include "kubesim/user_info.h"

namespace mlgitops::kubesim {

namespace {

std::string Triple(const std::string& group, const std::string& version, const char* last_key,
                   const std::string& last) {
  return "{\"group\":" + Quote(group) + ",\"version\":" + Quote(version) + ",\"" + last_key +
         "\":" + Quote(last) + "}";
}

// kube-apiserver reports the kubeconfig user for API requests; kubesim's own controllers write
// as the controller manager.
std::string UserInfoJson(bool api_request) {
  // The requester as authenticated (and impersonated) for this request.
  if (api_request && CurrentUser()) return CurrentUser()->ToJson();
  return R"({"username":"system:kube-controller-manager","groups":["system:authenticated"]})";
}

std::string OptionsJson(const AdmissionAttributes& attrs) {
  const char* kind = attrs.operation == "CREATE"   ? "CreateOptions"
                     : attrs.operation == "UPDATE" ? "UpdateOptions"
                                                   : "DeleteOptions";
  std::string out = std::string("{\"kind\":\"") + kind + "\",\"apiVersion\":\"meta.k8s.io/v1\"";
  if (attrs.dry_run) out += ",\"dryRun\":[\"All\"]";
  if (attrs.operation != "DELETE" && !attrs.field_manager.empty()) {
    out += ",\"fieldManager\":" + Quote(attrs.field_manager);
  }
  if (attrs.operation == "DELETE" && !attrs.propagation_policy.empty()) {
    out += ",\"propagationPolicy\":" + Quote(attrs.propagation_policy);
  }
  return out + "}";
}

// The object as the invoked version shows it (Equivalent matching: same fields, other version).
std::string ObjectJson(const JsonValue* object, const std::string& api_version) {
  if (!object) return "null";
  if (api_version.empty() || GetString(*object, "apiVersion") == api_version) {
    return ToJson(*object);
  }
  Object copy = CopyToObject(*object);
  SetString(copy.mutable_json(), "apiVersion", api_version, copy.allocator());
  return ToJson(copy.json());
}

}  // namespace

bool IsNamespaceType(const ResourceType& type) {
  return type.group.empty() && type.plural == "namespaces";
}

std::string ReviewVersion(const Webhook& hook) {
  for (const std::string& v : hook.review_versions) {
    if (v == "v1" || v == "v1beta1") return v;
  }
  return "";
}

std::string ReviewRequestJson(const AdmissionAttributes& attrs, const std::string& invoked_version,
                              const std::string& review_version, const std::string& uid,
                              bool api_request, const JsonValue* object, const JsonValue* old) {
  const ResourceType& type = *attrs.type;
  bool scale = attrs.subresource == "scale";
  std::string group_version =
      type.group.empty() ? invoked_version : type.group + "/" + invoked_version;
  std::string body = "{\"apiVersion\":\"admission.k8s.io/" + review_version +
                     "\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":" + Quote(uid);
  body += ",\"kind\":" + (scale ? Triple("autoscaling", "v1", "kind", "Scale")
                                : Triple(type.group, invoked_version, "kind", type.kind));
  body += ",\"resource\":" + Triple(type.group, invoked_version, "resource", type.plural);
  if (!attrs.subresource.empty()) body += ",\"subResource\":" + Quote(attrs.subresource);
  body += ",\"requestKind\":" + (scale ? Triple("autoscaling", "v1", "kind", "Scale")
                                       : Triple(type.group, type.version, "kind", type.kind));
  body += ",\"requestResource\":" + Triple(type.group, type.version, "resource", type.plural);
  if (!attrs.subresource.empty()) body += ",\"requestSubResource\":" + Quote(attrs.subresource);
  if (!attrs.name.empty()) body += ",\"name\":" + Quote(attrs.name);
  std::string ns = IsNamespaceType(type) ? attrs.name : attrs.namespace_;
  if (!ns.empty()) body += ",\"namespace\":" + Quote(ns);
  body += ",\"operation\":" + Quote(attrs.operation);
  body += ",\"userInfo\":" + UserInfoJson(api_request);
  body += ",\"object\":" + ObjectJson(object, scale ? "" : group_version);
  body += ",\"oldObject\":" + ObjectJson(old, scale ? "" : group_version);
  body += std::string(",\"dryRun\":") + (attrs.dry_run ? "true" : "false");
  return body + ",\"options\":" + OptionsJson(attrs) + "}}";
}

std::string VerifyAnswer(const JsonValue& review, const std::string& uid, bool v1, bool mutating) {
  const JsonValue* response = review.IsObject() ? FindMember(review, "response") : nullptr;
  if (!response || !response->IsObject()) return "webhook response was absent";
  if (!v1) return "";  // v1beta1 answers were never checked further
  std::string got_uid = GetString(*response, "uid");
  if (got_uid != uid) return "expected response.uid=" + Quote(uid) + ", got " + Quote(got_uid);
  std::string api_version = GetString(review, "apiVersion");
  std::string kind = GetString(review, "kind");
  if (api_version != "admission.k8s.io/v1" || kind != "AdmissionReview") {
    return "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got " +
           api_version + ", Kind=" + kind;
  }
  bool has_patch = !GetString(*response, "patch").empty();
  const JsonValue* patch_type = FindMember(*response, "patchType");
  bool has_type = patch_type && !patch_type->IsNull();
  if (!mutating) {
    if (has_patch) return "validating webhook may not return response.patch";
    if (has_type) return "validating webhook may not return response.patchType";
    return "";
  }
  if (has_patch && !has_type) return "webhook returned response.patch but not response.patchType";
  if (!has_patch && has_type) return "webhook returned response.patchType but not response.patch";
  if (has_type && View(*patch_type).empty()) {
    return "webhook returned invalid response.patchType of \"\"";
  }
  return "";
}

ApiError Denial(const std::string& hook_name, const JsonValue* status) {
  ApiError e;
  e.code = 400;
  std::string message;
  std::string reason;
  if (status && status->IsObject()) {
    e.code = static_cast<int>(GetInt(*status, "code").value_or(400));
    message = GetString(*status, "message");
    reason = GetString(*status, "reason");
    if (const JsonValue* details = FindMember(*status, "details"); details && details->IsObject()) {
      e.has_details = true;
      e.name = GetString(*details, "name");
      e.group = GetString(*details, "group");
      e.kind = GetString(*details, "kind");
      if (const JsonValue* causes = FindMember(*details, "causes"); causes && causes->IsArray()) {
        for (const auto& c : causes->GetArray()) {
          e.causes.push_back(
              {GetString(c, "reason"), GetString(c, "message"), GetString(c, "field")});
        }
      }
    }
  }
  if (e.code < 400) e.code = 400;
  e.reason = reason;
  std::string denied = "admission webhook " + Quote(hook_name) + " denied the request";
  e.message = !message.empty()  ? denied + ": " + message
              : !reason.empty() ? denied + ": " + reason
                                : denied + " without explanation";
  return e;
}

Result<Object> DecodePatch(const std::string& encoded) {
  auto decoded = Base64Decode(encoded);
  if (!decoded) return Status::InvalidArgument("illegal base64 data");
  auto patch = ParseJson(*decoded, "patch");
  if (!patch.ok()) return patch.status();
  if (!patch->json().IsArray()) {
    return Status::InvalidArgument(
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  }
  return patch;
}

}  // namespace mlgitops::kubesim
