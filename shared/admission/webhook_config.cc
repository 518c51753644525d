// Reading the webhook's config file: the conventions, then the `webhook:` section.
#include "admission/webhook_config.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "object/yaml_loader.h"

namespace mlgitops {

namespace {

constexpr size_t kMaxConfigBytes = 1u << 20;

std::string StringOf(const JsonValue& v) { return std::string(v.GetString(), v.GetStringLength()); }

bool IsAlnum(char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0; }

/// A label name or value: alphanumerics at both ends, '-', '_' and '.' between.
bool IsLabelToken(std::string_view text, size_t max_length) {
  if (text.empty() || text.size() > max_length) return false;
  if (!IsAlnum(text.front()) || !IsAlnum(text.back())) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char ch) { return IsAlnum(ch) || ch == '-' || ch == '_' || ch == '.'; });
}

bool IsDnsSubdomain(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  auto lower_alnum = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); };
  if (!lower_alnum(text.front()) || !lower_alnum(text.back())) return false;
  return std::all_of(text.begin(), text.end(),
                     [&](char ch) { return lower_alnum(ch) || ch == '-' || ch == '.'; });
}

/// A namespace name: an RFC 1123 label.
bool IsDnsLabel(std::string_view text) {
  return text.size() <= 63 && IsDnsSubdomain(text) && text.find('.') == std::string_view::npos;
}

/// Reads the `webhook:` section into a WebhookConfig; errors say "<origin>: webhook.<field>: ...".
class WebhookSectionReader {
 public:
  WebhookSectionReader(const std::string& origin, WebhookConfig* out)
      : origin_(origin), out_(out) {}

  Status Read(const JsonValue& section) {
    if (section.IsNull()) return Status::OK();
    if (!section.IsObject()) return Error("", "expected a mapping");
    static const std::set<std::string, std::less<>> known = {
        "namespace",       "exemptNamespaces",       "exemptLabel",    "exemptLabelNamespaces",
        "namespaceLabels", "managedNamespaceLabels", "createNamespace"};
    for (auto it = section.MemberBegin(); it != section.MemberEnd(); ++it) {
      if (!known.count(StringOf(it->name))) {
        return Error("." + StringOf(it->name),
                     "unknown field (expected namespace, exemptNamespaces, exemptLabel, "
                     "exemptLabelNamespaces, namespaceLabels, managedNamespaceLabels or "
                     "createNamespace)");
      }
    }
    std::string own_namespace(kDefaultWebhookNamespace);
    std::vector<std::string> exempt = {"kube-system", "kube-public"};
    Status s = ReadString(section, "namespace", &own_namespace);
    if (s.ok()) s = ReadNamespaces(section, "exemptNamespaces", &exempt);
    if (s.ok()) s = ReadExemptLabel(section);
    if (s.ok()) {
      s = ReadNamespaces(section, "exemptLabelNamespaces", &out_->exempt_label_namespaces);
    }
    if (s.ok()) s = ReadLabels(section, "namespaceLabels", &out_->namespace_labels);
    if (s.ok()) s = ReadLabels(section, "managedNamespaceLabels", &out_->managed_namespace_labels);
    if (s.ok()) s = ReadCreateNamespace(section);
    if (!s.ok()) return s;
    if (std::find(exempt.begin(), exempt.end(), own_namespace) == exempt.end()) {
      exempt.push_back(own_namespace);
    }
    out_->exempt_namespaces = std::move(exempt);
    return Status::OK();
  }

 private:
  Status Error(const std::string& field, const std::string& problem) const {
    return Status::InvalidArgument(origin_ + ": webhook" + field + ": " + problem);
  }

  Status ReadString(const JsonValue& section, const char* name, std::string* out) const {
    const JsonValue* v = Find(section, name);
    if (!v) return Status::OK();
    if (!v->IsString() || v->GetStringLength() == 0) {
      return Error(std::string(".") + name, "expected a non-empty string");
    }
    *out = StringOf(*v);
    return Status::OK();
  }

  /// A list of namespace names that replaces `out` when the field is present.
  Status ReadNamespaces(const JsonValue& section, const char* name,
                        std::vector<std::string>* out) const {
    const JsonValue* list = Find(section, name);
    if (!list) return Status::OK();
    const std::string field = std::string(".") + name;
    if (!list->IsArray()) return Error(field, "expected a list of namespaces");
    out->clear();
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      const JsonValue& item = (*list)[i];
      if (!item.IsString() || !IsDnsLabel(StringOf(item))) {
        return Error(field + "[" + std::to_string(i) + "]",
                     "expected a namespace name (up to 63 lowercase letters, digits and '-')");
      }
      out->push_back(StringOf(item));
    }
    return Status::OK();
  }

  Status ReadExemptLabel(const JsonValue& section) {
    std::string text;
    if (Status s = ReadString(section, "exemptLabel", &text); !s.ok() || text.empty()) return s;
    size_t equals = text.find('=');
    std::string key = text.substr(0, equals);
    std::string value = equals == std::string::npos ? "true" : text.substr(equals + 1);
    if (!IsValidLabelKey(key) || !IsValidLabelValue(value) || value.empty()) {
      return Error(".exemptLabel",
                   "expected \"key=value\" or \"key\" (value true), got \"" + text + "\"");
    }
    out_->exempt_label = key;
    out_->exempt_label_value = value;
    return Status::OK();
  }

  Status ReadLabels(const JsonValue& section, const char* name,
                    std::map<std::string, std::string>* out) const {
    const JsonValue* labels = Find(section, name);
    if (!labels || labels->IsNull()) return Status::OK();
    std::string field = std::string(".") + name;
    if (!labels->IsObject()) return Error(field, "expected a mapping of label to value");
    for (auto it = labels->MemberBegin(); it != labels->MemberEnd(); ++it) {
      std::string key = StringOf(it->name);
      if (!IsValidLabelKey(key)) return Error(field + "." + key, "not a valid label key");
      if (!it->value.IsString() || !IsValidLabelValue(StringOf(it->value))) {
        return Error(field + "." + key,
                     "expected a quoted label value (up to 63 letters, digits, '-', '_', '.')");
      }
      (*out)[key] = StringOf(it->value);
    }
    return Status::OK();
  }

  Status ReadCreateNamespace(const JsonValue& section) {
    const JsonValue* v = Find(section, "createNamespace");
    if (!v) return Status::OK();
    if (!v->IsBool()) return Error(".createNamespace", "expected true or false");
    out_->create_namespace = v->GetBool();
    return Status::OK();
  }

  const std::string& origin_;
  WebhookConfig* out_;
};

}  // namespace

bool WebhookConfig::IsExemptNamespace(std::string_view ns) const {
  return std::find(exempt_namespaces.begin(), exempt_namespaces.end(), ns) !=
         exempt_namespaces.end();
}

bool WebhookConfig::HonoursExemptLabelIn(std::string_view ns) const {
  return !ns.empty() && std::find(exempt_label_namespaces.begin(), exempt_label_namespaces.end(),
                                  ns) != exempt_label_namespaces.end();
}

bool IsValidLabelKey(std::string_view key) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return IsLabelToken(key, 63);
  return IsDnsSubdomain(key.substr(0, slash)) && IsLabelToken(key.substr(slash + 1), 63);
}

bool IsValidLabelValue(std::string_view value) { return value.empty() || IsLabelToken(value, 63); }

Result<WebhookConfig> ParseWebhookConfig(std::string_view yaml, const std::string& origin) {
  auto docs = ParseYamlStream(yaml, origin);
  if (!docs.ok()) return docs.status();
  if (docs->size() > 1) {
    return Status::InvalidArgument(origin + ": expected one YAML document, found " +
                                   std::to_string(docs->size()));
  }
  WebhookConfig config;
  if (docs->empty()) return config;
  const JsonValue& root = (*docs)[0].json();
  auto conventions = ConventionsFromDocument(root, origin);
  if (!conventions.ok()) return conventions.status();
  config.conventions = std::move(conventions).value();
  if (const JsonValue* section = Find(root, "webhook")) {
    if (Status s = WebhookSectionReader(origin, &config).Read(*section); !s.ok()) return s;
  }
  return config;
}

Result<WebhookConfig> LoadWebhookConfig(const std::string& path) {
  if (path.empty()) return WebhookConfig();
  auto text = ReadFileLimited(path, kMaxConfigBytes, path);
  if (!text.ok()) return text.status();
  return ParseWebhookConfig(*text, path);
}

}  // namespace mlgitops
