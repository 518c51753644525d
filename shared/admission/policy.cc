// Admission decisions: skips, validation through the shared rules, mutation as JSON patches.
#include "admission/policy.h"

#include <exception>

#include "admission/json_patch_builder.h"
#include "admission/review.h"
#include "policy/rules.h"

namespace mlgitops {

namespace {

constexpr std::string_view kCreateNamespaceOption = "CreateNamespace=";

/// "apps/Deployment ml/ranker": how logs name the object.
std::string ObjectLabel(const Object& obj) {
  std::string group = obj.group();
  std::string ns = obj.namespace_();
  return (group.empty() ? "" : group + "/") + obj.kind() + " " + (ns.empty() ? "" : ns + "/") +
         obj.name();
}

/// At most `limit` bytes, cut on a UTF-8 character boundary and marked with "...".
std::string Shorten(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t cut = limit - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

AdmissionOutcome Refuse(int http_status, const std::string& reason) {
  AdmissionOutcome outcome;
  outcome.http_status = http_status;
  outcome.content_type = "text/plain; charset=utf-8";
  outcome.body = reason + "\n";
  outcome.result = http_status == 400 ? "invalid" : "error";
  outcome.message = reason;
  return outcome;
}

bool IsNamespaceObject(const Object& obj) {
  return obj.group().empty() && obj.kind() == "Namespace";
}

/// Requests the rules have nothing to say about: answered at once, unpatched.
bool IsSkipped(const AdmissionRequest& request, const WebhookConfig& config) {
  if (request.operation == "DELETE" || request.operation == "CONNECT") return true;
  if (request.dry_run || !request.sub_resource.empty() || !request.object) return true;
  const Object& obj = *request.object;
  std::string ns = IsNamespaceObject(obj) ? obj.name() : request.namespace_;
  if (ns.empty()) ns = obj.namespace_();
  if (!ns.empty() && config.IsExemptNamespace(ns)) return true;
  // The label is the author's own claim, so it counts only where the config lets authors opt out.
  if (!config.HonoursExemptLabelIn(ns)) return false;
  auto label = obj.label(config.exempt_label);
  return label && *label == config.exempt_label_value;
}

/// A finding as an admission warning: the rule and what to do; the object is the request's own.
std::string WarningOf(const Finding& finding) {
  size_t subject_end = finding.message.find(": ");
  std::string text =
      subject_end == std::string::npos ? finding.message : finding.message.substr(subject_end + 2);
  return Shorten(finding.rule + ": " + text, kMaxAdmissionWarningLength);
}

AdmissionVerdict Validate(const Object& obj, const Conventions& conventions,
                          AdmissionOutcome* outcome) {
  AdmissionVerdict verdict;
  std::vector<Finding> findings = CheckObject(obj, ClassifyObject(obj, conventions), conventions);
  std::string denials;
  for (const Finding& f : findings) {
    if (f.severity == Severity::kDeny) {
      outcome->denied_rules.push_back(f.rule);
      denials += (denials.empty() ? "" : "; ") + f.rule + ": " + f.message;
    } else {
      outcome->warned_rules.push_back(f.rule);
      verdict.warnings.push_back(WarningOf(f));
    }
  }
  if (!denials.empty()) {
    verdict.allowed = false;
    verdict.code = 403;
    verdict.reason = "Forbidden";
    verdict.message = denials;
  }
  return verdict;
}

/// Mutations that could not be made, said as admission warnings.
class Mutation {
 public:
  explicit Mutation(const Object& obj) : patch_(obj.json()) {}

  void AddMapEntry(const std::vector<std::string>& map, const std::string& key,
                   const std::string& value) {
    if (patch_.AddMapEntry(map, key, value) != JsonPatchBuilder::Outcome::kBlocked) return;
    Blocked(JsonPointer(map) + " is not a map, so " + key + " was not set");
  }
  void AppendToList(const std::vector<std::string>& list, const std::string& value) {
    if (patch_.AppendToList(list, value) != JsonPatchBuilder::Outcome::kBlocked) return;
    Blocked(JsonPointer(list) + " is not a list, so " + value + " was not added");
  }

  AdmissionVerdict Verdict() const {
    AdmissionVerdict verdict;
    verdict.warnings = warnings_;
    if (!patch_.empty()) verdict.patch = patch_.ToJson();
    return verdict;
  }

 private:
  void Blocked(const std::string& what) {
    warnings_.push_back(Shorten("mutate: " + what, kMaxAdmissionWarningLength));
  }

  JsonPatchBuilder patch_;
  std::vector<std::string> warnings_;
};

/// A role's default wave on objects that state none (hooks wave themselves).
void DefaultWave(const Object& obj, const Conventions& conventions, Mutation& mutation) {
  if (IsSyncHook(obj) || obj.annotation(kHelmHookWeightAnnotation)) return;
  Classified classified = ClassifyObject(obj, conventions);
  if (classified.role.empty()) return;
  mutation.AddMapEntry({"metadata", "annotations"}, std::string(kSyncWaveAnnotation),
                       std::to_string(conventions.DefaultWave(classified.role)));
}

/// The value of an Application's CreateNamespace= sync option, "" when it has none.
std::string CreateNamespaceOption(const Object& app) {
  const JsonValue* options = Find(app.json(), "spec.syncPolicy.syncOptions");
  if (!options || !options->IsArray()) return "";
  for (const auto& option : options->GetArray()) {
    if (!option.IsString()) continue;
    std::string_view text(option.GetString(), option.GetStringLength());
    if (text.substr(0, kCreateNamespaceOption.size()) == kCreateNamespaceOption) {
      return std::string(text.substr(kCreateNamespaceOption.size()));
    }
  }
  return "";
}

/// CreateNamespace=true unless the Application opts out, and the configured labels for the
/// namespace Argo CD creates (managedNamespaceMetadata only applies to a created namespace).
void CreateNamespace(const Object& app, const WebhookConfig& config, Mutation& mutation) {
  std::string option = CreateNamespaceOption(app);
  bool creates = option == "true";
  if (option.empty() && config.create_namespace &&
      app.annotation(kCreateNamespaceAnnotation).value_or("") != "false") {
    mutation.AppendToList({"spec", "syncPolicy", "syncOptions"},
                          std::string(kCreateNamespaceOption) + "true");
    creates = true;
  }
  if (!creates) return;
  for (const auto& [key, value] : config.managed_namespace_labels) {
    mutation.AddMapEntry({"spec", "syncPolicy", "managedNamespaceMetadata", "labels"}, key, value);
  }
}

AdmissionVerdict Mutate(const Object& obj, const WebhookConfig& config) {
  Mutation mutation(obj);
  DefaultWave(obj, config.conventions, mutation);
  if (IsApplicationObject(obj)) CreateNamespace(obj, config, mutation);
  if (IsNamespaceObject(obj)) {
    for (const auto& [key, value] : config.namespace_labels) {
      mutation.AddMapEntry({"metadata", "labels"}, key, value);
    }
  }
  return mutation.Verdict();
}

/// The project rule: the Application's AppProject permits its namespace, sources and
/// destination (Argo CD checks this only at sync time; refusing it here keeps such an app from
/// being stored at all).
void CheckProject(const Object& obj, const ApplicationProjectCheck& projects,
                  AdmissionOutcome* outcome, AdmissionVerdict* verdict) {
  auto app = ParseApplication(obj);
  if (!app.ok()) return;  // the object rules report what is malformed
  Status permitted = projects(*app);
  if (permitted.ok()) return;
  outcome->denied_rules.push_back("application-project");
  verdict->allowed = false;
  verdict->code = 403;
  verdict->reason = "Forbidden";
  verdict->message += (verdict->message.empty() ? "" : "; ") +
                      std::string("application-project: ") + permitted.message();
}

AdmissionOutcome Decide(AdmissionEndpoint endpoint, std::string_view body,
                        const WebhookConfig& config, const ApplicationProjectCheck& projects) {
  auto request = DecodeAdmissionReview(body);
  if (!request.ok()) return Refuse(400, request.status().message());
  AdmissionOutcome outcome;
  outcome.operation = request->operation;
  outcome.result = "allowed";
  AdmissionVerdict verdict;
  if (request->object) outcome.object = ObjectLabel(*request->object);
  if (!IsSkipped(*request, config)) {
    const Object& obj = *request->object;
    if (endpoint == AdmissionEndpoint::kValidate) {
      verdict = Validate(obj, config.conventions, &outcome);
      if (projects && IsApplicationObject(obj) && request->operation != "DELETE") {
        CheckProject(obj, projects, &outcome, &verdict);
      }
      if (!verdict.allowed) outcome.result = "denied";
      outcome.message = verdict.message;
    } else {
      verdict = Mutate(obj, config);
      if (!verdict.patch.empty()) outcome.result = "patched";
    }
  }
  outcome.body = EncodeAdmissionReview(request->api_version, request->uid, verdict);
  return outcome;
}

}  // namespace

AdmissionOutcome HandleAdmission(AdmissionEndpoint endpoint, std::string_view body,
                                 const WebhookConfig& config,
                                 const ApplicationProjectCheck& projects) {
  try {
    return Decide(endpoint, body, config, projects);
  } catch (const std::exception& e) {
    return Refuse(500, std::string("internal error: ") + e.what());
  } catch (...) {
    return Refuse(500, "internal error");
  }
}

}  // namespace mlgitops
