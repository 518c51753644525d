// Fills one installation's values into the embedded manifests. The files stay the single
// description of the webhook; this code changes only the fields an installation varies.
#include "webhook_install/manifests.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>

#include "kube/client.h"
#include "object/base64.h"
#include "object/yaml_loader.h"

namespace mlgitops {

namespace {

constexpr std::string_view kNamespaceNameLabel = "kubernetes.io/metadata.name";

void SetMember(JsonValue& object, std::string_view name, JsonValue value,
               JsonAllocator& allocator) {
  auto it = object.FindMember(rapidjson::StringRef(name.data(), name.size()));
  if (it != object.MemberEnd()) {
    it->value = std::move(value);
    return;
  }
  object.AddMember(JsonString(name, allocator), std::move(value), allocator);
}

bool IsDnsLabel(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return true;
}

/// The webhook namespace named in a namespaceSelector's exclusion list follows the install.
void RenameExcludedNamespace(JsonValue& selector, const std::string& ns, JsonAllocator& allocator) {
  JsonValue* expressions = const_cast<JsonValue*>(Find(selector, "matchExpressions"));
  if (!expressions || !expressions->IsArray()) return;
  for (JsonValue& expression : expressions->GetArray()) {
    if (GetString(expression, "key") != kNamespaceNameLabel) continue;
    JsonValue* values = const_cast<JsonValue*>(Find(expression, "values"));
    if (!values || !values->IsArray()) continue;
    for (JsonValue& v : values->GetArray()) {
      if (v.IsString() && v.GetString() == kWebhookDefaultNamespace) {
        v = JsonString(ns, allocator);
      }
    }
  }
}

void FillWebhookConfiguration(Object& config, const WebhookValues& values) {
  JsonAllocator& allocator = config.allocator();
  JsonValue* webhooks = const_cast<JsonValue*>(Find(config.json(), "webhooks"));
  if (!webhooks || !webhooks->IsArray()) return;
  std::string bundle = Base64Encode(values.ca_bundle_pem);
  for (JsonValue& hook : webhooks->GetArray()) {
    JsonValue* client = const_cast<JsonValue*>(Find(hook, "clientConfig"));
    JsonValue* service = const_cast<JsonValue*>(Find(hook, "clientConfig.service"));
    if (service && service->IsObject()) {
      SetMember(*service, "namespace", JsonString(values.namespace_, allocator), allocator);
    }
    if (client && client->IsObject() && !values.ca_bundle_pem.empty()) {
      SetMember(*client, "caBundle", JsonString(bundle, allocator), allocator);
    }
    if (values.failure_policy) {
      SetMember(hook, "failurePolicy", JsonString(*values.failure_policy, allocator), allocator);
    }
    JsonValue* selector = const_cast<JsonValue*>(Find(hook, "namespaceSelector"));
    if (selector) RenameExcludedNamespace(*selector, values.namespace_, allocator);
  }
}

void FillImage(Object& deployment, const std::string& image) {
  JsonValue* containers =
      const_cast<JsonValue*>(Find(deployment.json(), "spec.template.spec.containers"));
  if (image.empty() || !containers || !containers->IsArray()) return;
  for (JsonValue& container : containers->GetArray()) {
    if (container.IsObject()) {
      SetMember(container, "image", JsonString(image, deployment.allocator()),
                deployment.allocator());
    }
  }
}

/// Fills `values` into one object; false when the object is not install's to apply.
bool Fill(Object& object, const WebhookValues& values) {
  std::string kind = object.kind();
  if (kind == "Namespace") {
    if (!values.own_namespace) return false;
    JsonValue* metadata = const_cast<JsonValue*>(Find(object.json(), "metadata"));
    if (metadata) {
      SetMember(*metadata, "name", JsonString(values.namespace_, object.allocator()),
                object.allocator());
    }
    object.SetAnnotation(kInstalledByAnnotation, kInstalledByValue);
    return true;
  }
  if (!object.namespace_().empty()) object.SetNamespace(values.namespace_);
  if (kind == "Deployment") FillImage(object, values.image);
  if (kind == "MutatingWebhookConfiguration" || kind == "ValidatingWebhookConfiguration") {
    FillWebhookConfiguration(object, values);
  }
  return true;
}

}  // namespace

std::string DefaultWebhookImage() {
  return std::string("ghcr.io/mlgitops/mlgitops-webhook:") + MLGITOPS_VERSION;
}

Status CheckWebhookValues(const WebhookValues& values) {
  if (!IsDnsLabel(values.namespace_)) {
    return Status::InvalidArgument("namespace \"" + values.namespace_ +
                                   "\" is not a valid name (lowercase letters, digits and '-', "
                                   "at most 63)");
  }
  if (values.failure_policy && *values.failure_policy != "Fail" &&
      *values.failure_policy != "Ignore") {
    return Status::InvalidArgument("failure policy \"" + *values.failure_policy +
                                   "\" must be Fail or Ignore");
  }
  return Status::OK();
}

Result<std::vector<Object>> RenderWebhookObjects(const WebhookValues& values) {
  if (Status s = CheckWebhookValues(values); !s.ok()) return s;
  std::vector<Object> out;
  for (const EmbeddedManifest& manifest : EmbeddedWebhookManifests()) {
    auto objects =
        ParseManifests(manifest.text, std::string("manifests/webhook/base/") + manifest.file);
    if (!objects.ok()) return objects.status();
    for (Object& object : *objects) {
      if (Fill(object, values)) out.push_back(std::move(object));
    }
  }
  return out;
}

Object TlsSecret(std::string_view name, std::string_view namespace_, const PemKeyPair& pair,
                 std::string_view ca_pem) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto key = [&w](std::string_view text) {
    w.Key(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  auto str = [&w](std::string_view text) {
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  w.StartObject();
  key("apiVersion");
  str("v1");
  key("kind");
  str("Secret");
  key("metadata");
  w.StartObject();
  key("name");
  str(name);
  key("namespace");
  str(namespace_);
  key("labels");
  w.StartObject();
  key("app.kubernetes.io/name");
  str(kWebhookServiceName);
  key("app.kubernetes.io/part-of");
  str("mlgitops");
  w.EndObject();
  w.EndObject();
  key("type");
  str("kubernetes.io/tls");
  key("data");
  w.StartObject();
  key("tls.crt");
  str(Base64Encode(pair.cert_pem));
  key("tls.key");
  str(Base64Encode(pair.key_pem));
  if (!ca_pem.empty()) {
    key("ca.crt");
    str(Base64Encode(ca_pem));
  }
  w.EndObject();
  w.EndObject();
  auto parsed = ParseJsonObject(buffer.GetString(), "Secret " + std::string(name));
  return parsed.ok() ? std::move(parsed).value() : Object();
}

}  // namespace mlgitops
