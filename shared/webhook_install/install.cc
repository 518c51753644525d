// The install and uninstall sequences. Every write is a server-side apply or a delete through
// KubeClient, so a rerun converges and a failed run can simply be run again.
#include "webhook_install/install.h"

#include <algorithm>
#include <cctype>

#include "object/base64.h"
#include "object/timeutil.h"

namespace mlgitops {

namespace {

constexpr int64_t kSecondsPerDay = 24 * 3600;
// A kept CA must outlive the serving certificate it is about to sign, with a month to spare.
constexpr int64_t kCaMinRemainingSeconds = (kWebhookServingValidDays + 30) * kSecondsPerDay;

bool IsWebhookConfiguration(const Object& o) {
  return o.kind() == "MutatingWebhookConfiguration" || o.kind() == "ValidatingWebhookConfiguration";
}

/// "deployment.apps/mlgitops-webhook", the way kubectl names what it applied.
std::string DisplayName(const ObjectKey& key) {
  std::string kind = key.gvk.kind;
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return kind + (key.gvk.group.empty() ? "" : "." + key.gvk.group) + "/" + key.name;
}

Result<std::optional<Object>> GetIfExists(KubeClient& client, const ObjectKey& key) {
  auto got = client.Get(key);
  if (got.ok()) return std::optional<Object>(std::move(*got));
  if (got.status().code() == Status::Code::kNotFound) return std::optional<Object>();
  return got.status();
}

ObjectKey SecretKey(std::string_view name, const std::string& ns) {
  return ObjectKey{{"", "v1", "Secret"}, ns, std::string(name)};
}

/// The CA Secret's certificate and key; nullopt when absent or unreadable (a new CA follows).
Result<std::optional<PemKeyPair>> ReadCaSecret(KubeClient& client, const std::string& ns) {
  auto secret = GetIfExists(client, SecretKey(kWebhookCaSecret, ns));
  if (!secret.ok()) return secret.status();
  if (!*secret) return std::optional<PemKeyPair>();
  const JsonValue* data = Find((*secret)->json(), "data");
  if (!data || !data->IsObject()) return std::optional<PemKeyPair>();
  auto field = [data](const char* name) -> std::optional<std::string> {
    auto it = data->FindMember(name);
    if (it == data->MemberEnd() || !it->value.IsString()) return std::nullopt;
    return Base64Decode(std::string_view(it->value.GetString(), it->value.GetStringLength()));
  };
  auto cert_pem = field("tls.crt");
  auto key_pem = field("tls.key");
  if (!cert_pem || !key_pem) return std::optional<PemKeyPair>();
  return std::optional<PemKeyPair>(PemKeyPair{*cert_pem, *key_pem});
}

struct Applier {
  KubeClient& client;
  const InstallOptions& options;
  const ProgressFn& progress;
  bool namespace_exists = false;

  Status Apply(const Object& object) {
    ObjectKey key = ObjectKey::Of(object);
    std::string suffix = options.dry_run ? " (server dry run)" : "";
    if (options.dry_run && !key.namespace_.empty() && !namespace_exists) {
      progress(DisplayName(key) + " would be created (namespace " + key.namespace_ +
               " does not exist yet, not checked)");
      return Status::OK();
    }
    ApplyOptions apply;
    apply.dry_run = options.dry_run;
    apply.field_manager = options.field_manager;
    auto applied = client.Apply(object, apply);
    if (!applied.ok()) {
      return applied.status().Prefixed(DisplayName(key));
    }
    progress(DisplayName(key) + " serverside-applied" + suffix);
    return Status::OK();
  }

  /// The ConfigMap is the user's to tune after the first install: it is created, never
  /// overwritten.
  Status CreateOnce(const Object& object) {
    auto live = GetIfExists(client, ObjectKey::Of(object));
    if (!live.ok()) return live.status();
    if (*live) {
      progress(DisplayName(ObjectKey::Of(object)) + " kept (edit it in place to change the rules)");
      return Status::OK();
    }
    return Apply(object);
  }
};

}  // namespace

Result<CaPlan> PlanCa(const std::optional<PemKeyPair>& existing, bool rotate, int64_t now_unix) {
  std::optional<CertificateFacts> old_facts;
  std::string problem = "no CA yet";
  if (existing) {
    auto facts = ReadCertificate(existing->cert_pem);
    Status usable = facts.ok() ? CheckCaKeyPair(*existing) : facts.status();
    if (facts.ok()) old_facts = *facts;
    if (!usable.ok()) {
      problem = "the stored CA is unusable (" + usable.message() + ")";
    } else if (facts->not_after - now_unix < kCaMinRemainingSeconds) {
      problem = "the CA expires " + FormatRfc3339(facts->not_after) +
                ", before a new serving "
                "certificate would";
    } else if (!rotate) {
      return CaPlan{*existing, existing->cert_pem, false,
                    "kept the CA (valid until " + FormatRfc3339(facts->not_after) + ")"};
    } else {
      problem = "--rotate-ca";
    }
  }
  auto fresh = GenerateWebhookCa(now_unix);
  if (!fresh.ok()) return fresh.status();
  CaPlan plan{*fresh, fresh->cert_pem, true, "new CA: " + problem};
  // Pods keep serving the old CA's certificate until the kubelet refreshes their Secret
  // volume, so the old CA stays trusted alongside the new one (until the next install).
  if (old_facts && old_facts->is_ca && old_facts->not_after > now_unix) {
    plan.bundle_pem += existing->cert_pem;
    plan.reason += "; the old CA stays trusted until the next install";
  }
  return plan;
}

Result<InstallReport> InstallWebhook(KubeClient& client, const InstallOptions& options,
                                     const ProgressFn& progress) {
  WebhookValues values = options.values;
  if (Status s = CheckWebhookValues(values); !s.ok()) return s;
  const std::string& ns = values.namespace_;

  auto live_ns = GetIfExists(client, ObjectKey{{"", "v1", "Namespace"}, "", ns});
  if (!live_ns.ok()) return live_ns.status();
  values.own_namespace =
      !*live_ns || (*live_ns)->annotation(kInstalledByAnnotation) == std::string(kInstalledByValue);

  auto stored_ca = ReadCaSecret(client, ns);
  if (!stored_ca.ok()) return stored_ca.status();
  InstallReport report;
  auto plan = PlanCa(*stored_ca, options.rotate_ca, options.now_unix);
  if (!plan.ok()) return plan.status();
  report.ca = std::move(*plan);

  std::vector<std::string> dns_names = WebhookDnsNames(kWebhookServiceName, ns);
  auto serving = IssueServingCertificate(report.ca.ca, dns_names, options.now_unix);
  if (!serving.ok()) return serving.status();
  if (Status s = VerifyServingCertificate(serving->cert_pem, report.ca.bundle_pem, dns_names[0],
                                          options.now_unix);
      !s.ok()) {
    return Status::Internal("the new serving certificate does not verify: " + s.message());
  }
  if (auto facts = ReadCertificate(serving->cert_pem); facts.ok()) {
    report.serving_not_after = FormatRfc3339(facts->not_after);
  }

  values.ca_bundle_pem = report.ca.bundle_pem;
  auto objects = RenderWebhookObjects(values);
  if (!objects.ok()) return objects.status();
  std::vector<Object> configurations, rest;
  for (Object& o : *objects) {
    if (IsWebhookConfiguration(o)) {
      configurations.push_back(std::move(o));
      continue;
    }
    bool is_config_map = o.kind() == "ConfigMap";
    rest.push_back(std::move(o));
    if (is_config_map) {  // the Secrets go right after the configuration, before the pods
      rest.push_back(TlsSecret(kWebhookCaSecret, ns, report.ca.ca, ""));
      rest.push_back(TlsSecret(kWebhookTlsSecret, ns, *serving, report.ca.ca.cert_pem));
    }
  }

  for (const Object& config : configurations) {
    auto live = GetIfExists(client, ObjectKey::Of(config));
    if (!live.ok()) return live.status();
    report.registered_first = report.registered_first || live->has_value();
  }
  Applier applier{client, options, progress, live_ns->has_value()};
  auto apply_all = [&applier](const std::vector<Object>& list) {
    for (const Object& o : list) {
      Status s = o.kind() == "ConfigMap" ? applier.CreateOnce(o) : applier.Apply(o);
      if (!s.ok()) return s;
    }
    return Status::OK();
  };
  if (report.registered_first) {
    if (Status s = apply_all(configurations); !s.ok()) return s;
  }
  if (Status s = apply_all(rest); !s.ok()) return s;
  if (!report.registered_first) {
    if (Status s = apply_all(configurations); !s.ok()) return s;
  }
  return report;
}

Status UninstallWebhook(KubeClient& client, const std::string& namespace_,
                        const ProgressFn& progress) {
  WebhookValues values;
  values.namespace_ = namespace_;
  auto objects = RenderWebhookObjects(values);
  if (!objects.ok()) return objects.status();
  std::vector<ObjectKey> order;
  for (const Object& o : *objects) {
    if (IsWebhookConfiguration(o)) order.push_back(ObjectKey::Of(o));
  }
  std::vector<ObjectKey> namespaced = {SecretKey(kWebhookTlsSecret, namespace_),
                                       SecretKey(kWebhookCaSecret, namespace_)};
  std::optional<ObjectKey> namespace_key;
  for (const Object& o : *objects) {
    if (o.kind() == "Namespace") {
      namespace_key = ObjectKey::Of(o);
    } else if (!IsWebhookConfiguration(o)) {
      namespaced.push_back(ObjectKey::Of(o));
    }
  }
  // The rest in reverse of install's order.
  order.insert(order.end(), namespaced.rbegin(), namespaced.rend());

  if (namespace_key) {
    auto live_ns = GetIfExists(client, *namespace_key);
    if (!live_ns.ok()) return live_ns.status();
    bool ours = *live_ns &&
                (*live_ns)->annotation(kInstalledByAnnotation) == std::string(kInstalledByValue);
    if (ours) order.push_back(*namespace_key);
    if (*live_ns && !ours)
      progress("namespace/" + namespace_ + " kept (install did not create it)");
  }
  for (const ObjectKey& key : order) {
    Status s = client.Delete(key, DeleteOptions());
    if (s.code() == Status::Code::kNotFound) {
      progress(DisplayName(key) + " not found");
      continue;
    }
    if (!s.ok()) return s.Prefixed(DisplayName(key));
    progress(DisplayName(key) + " deleted");
  }
  return Status::OK();
}

}  // namespace mlgitops
