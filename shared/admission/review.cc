// Decoding AdmissionReview requests under size and depth bounds; encoding the answers.
#include "admission/review.h"

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "object/base64.h"

namespace mlgitops {

namespace {

constexpr std::string_view kReviewV1 = "admission.k8s.io/v1";
constexpr std::string_view kReviewV1beta1 = "admission.k8s.io/v1beta1";

/// Builds the document from SAX events, refusing nesting deeper than `max_depth`, so a hostile
/// body fails fast instead of exhausting the stack or the allocator.
class DepthLimitedBuilder {
 public:
  DepthLimitedBuilder(rapidjson::Document& doc, int max_depth) : doc_(doc), max_depth_(max_depth) {}

  bool too_deep() const { return too_deep_; }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return doc_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return Enter() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { return Leave() && doc_.EndObject(n); }
  bool StartArray() { return Enter() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return Leave() && doc_.EndArray(n); }

 private:
  bool Enter() {
    too_deep_ = ++depth_ > max_depth_;
    return !too_deep_;
  }
  bool Leave() {
    --depth_;
    return true;
  }

  rapidjson::Document& doc_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
};

Status ParseBounded(std::string_view body, rapidjson::Document* doc) {
  Status status;
  auto generate = [&](rapidjson::Document& target) {
    rapidjson::MemoryStream bytes(body.data(), body.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> input(bytes);
    DepthLimitedBuilder builder(target, kMaxAdmissionJsonDepth);
    rapidjson::Reader reader;
    constexpr unsigned kFlags =
        rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
    if (reader.Parse<kFlags>(input, builder)) return true;
    if (builder.too_deep()) {
      status = Status::LimitExceeded("JSON nested deeper than " +
                                     std::to_string(kMaxAdmissionJsonDepth) + " levels");
    } else {
      status = Status::InvalidArgument(
          std::string("not JSON: ") + rapidjson::GetParseError_En(reader.GetParseErrorCode()) +
          " (at byte " + std::to_string(reader.GetErrorOffset()) + ")");
    }
    return false;
  };
  doc->Populate(generate);
  return status;
}

std::string StringOf(const JsonValue& v) { return std::string(v.GetString(), v.GetStringLength()); }

Status Invalid(const std::string& reason) { return Status::InvalidArgument(reason); }

/// An optional string member: absent or null reads as "", any other type is an error.
Status ReadOptionalString(const JsonValue& parent, const char* member, const std::string& field,
                          std::string* out) {
  auto it = parent.FindMember(member);
  if (it == parent.MemberEnd() || it->value.IsNull()) return Status::OK();
  if (!it->value.IsString()) return Invalid(field + " must be a string");
  *out = StringOf(it->value);
  return Status::OK();
}

/// request.kind: {group, version, kind}, all optional strings.
struct GroupVersionKind {
  std::string group, version, kind;
};

Status ReadKind(const JsonValue& request, GroupVersionKind* out) {
  auto it = request.FindMember("kind");
  if (it == request.MemberEnd() || it->value.IsNull()) return Status::OK();
  if (!it->value.IsObject()) return Invalid("request.kind must be an object");
  Status s = ReadOptionalString(it->value, "group", "request.kind.group", &out->group);
  if (s.ok()) s = ReadOptionalString(it->value, "version", "request.kind.version", &out->version);
  if (s.ok()) s = ReadOptionalString(it->value, "kind", "request.kind.kind", &out->kind);
  return s;
}

Status ReadEnvelope(const JsonValue& root, std::string* api_version) {
  if (!root.IsObject()) return Invalid("not an AdmissionReview: expected a JSON object");
  std::string kind;
  Status s = ReadOptionalString(root, "apiVersion", "apiVersion", api_version);
  if (s.ok()) s = ReadOptionalString(root, "kind", "kind", &kind);
  if (!s.ok()) return s;
  if (*api_version != kReviewV1 && *api_version != kReviewV1beta1) {
    return Invalid("unsupported apiVersion \"" + api_version->substr(0, 64) +
                   "\" (expected admission.k8s.io/v1 or admission.k8s.io/v1beta1)");
  }
  if (kind != "AdmissionReview") return Invalid("kind must be AdmissionReview");
  return Status::OK();
}

bool IsOperation(std::string_view op) {
  return op == "CREATE" || op == "UPDATE" || op == "DELETE" || op == "CONNECT";
}

Status ReadRequestFields(const JsonValue& request, AdmissionRequest* out) {
  Status s = ReadOptionalString(request, "uid", "request.uid", &out->uid);
  if (s.ok() && out->uid.empty()) s = Invalid("request.uid is missing");
  if (s.ok()) s = ReadOptionalString(request, "operation", "request.operation", &out->operation);
  if (s.ok() && !IsOperation(out->operation)) {
    s = Invalid("request.operation must be CREATE, UPDATE, DELETE or CONNECT");
  }
  if (s.ok()) {
    s = ReadOptionalString(request, "subResource", "request.subResource", &out->sub_resource);
  }
  if (s.ok()) s = ReadOptionalString(request, "namespace", "request.namespace", &out->namespace_);
  if (s.ok()) s = ReadOptionalString(request, "name", "request.name", &out->name);
  if (!s.ok()) return s;
  auto dry_run = request.FindMember("dryRun");
  if (dry_run != request.MemberEnd() && !dry_run->value.IsNull()) {
    if (!dry_run->value.IsBool()) return Invalid("request.dryRun must be true or false");
    out->dry_run = dry_run->value.GetBool();
  }
  auto old = request.FindMember("oldObject");
  if (old != request.MemberEnd() && !old->value.IsNull() && !old->value.IsObject()) {
    return Invalid("request.oldObject must be an object");
  }
  return Status::OK();
}

void SetStringMember(JsonValue& object, const char* member, const std::string& value,
                     JsonAllocator& a) {
  if (value.empty() || object.HasMember(member)) return;
  object.AddMember(rapidjson::StringRef(member), JsonValue(value.c_str(), a), a);
}

/// Fills what a request states but the object may omit: the type (kind, apiVersion) and the
/// namespace of a create, so rules and messages name the object fully. Adds no `metadata`, so
/// patches computed on the object still apply to the apiserver's copy.
void CompleteObject(const GroupVersionKind& gvk, const AdmissionRequest& request, JsonValue& object,
                    JsonAllocator& a) {
  std::string api_version = gvk.group.empty() ? gvk.version : gvk.group + "/" + gvk.version;
  if (!gvk.version.empty()) SetStringMember(object, "apiVersion", api_version, a);
  SetStringMember(object, "kind", gvk.kind, a);
  auto metadata = object.FindMember("metadata");
  bool is_namespace = gvk.group.empty() && gvk.kind == "Namespace";
  if (metadata != object.MemberEnd() && metadata->value.IsObject() && !is_namespace) {
    SetStringMember(metadata->value, "namespace", request.namespace_, a);
  }
}

}  // namespace

Result<AdmissionRequest> DecodeAdmissionReview(std::string_view body) {
  if (body.size() > kMaxAdmissionReviewBytes) {
    return Status::LimitExceeded("body of " + std::to_string(body.size()) +
                                 " bytes is over the 7 MiB limit");
  }
  std::unique_ptr<JsonAllocator> allocator = NewObjectAllocator();
  rapidjson::Document doc(allocator.get());
  if (Status s = ParseBounded(body, &doc); !s.ok()) return s;
  AdmissionRequest out;
  if (Status s = ReadEnvelope(doc, &out.api_version); !s.ok()) return s;
  auto request = doc.FindMember("request");
  if (request == doc.MemberEnd() || !request->value.IsObject()) {
    return Invalid("request is missing or not an object");
  }
  GroupVersionKind gvk;
  Status s = ReadRequestFields(request->value, &out);
  if (s.ok()) s = ReadKind(request->value, &gvk);
  if (!s.ok()) return s;
  auto object = request->value.FindMember("object");
  bool has_object = object != request->value.MemberEnd() && !object->value.IsNull();
  if (has_object && !object->value.IsObject()) return Invalid("request.object must be an object");
  if (!has_object && (out.operation == "CREATE" || out.operation == "UPDATE")) {
    return Invalid("request.object is missing for " + out.operation);
  }
  if (has_object) {
    JsonValue value;
    value.Swap(object->value);
    CompleteObject(gvk, out, value, *allocator);
    out.object.emplace(std::move(allocator), std::move(value), "");
  }
  return out;
}

std::string EncodeAdmissionReview(std::string_view api_version, std::string_view uid,
                                  const AdmissionVerdict& verdict) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto string = [&w](std::string_view text) {
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  w.StartObject();
  w.Key("apiVersion");
  string(api_version);
  w.Key("kind");
  string("AdmissionReview");
  w.Key("response");
  w.StartObject();
  w.Key("uid");
  string(uid);
  w.Key("allowed");
  w.Bool(verdict.allowed);
  if (!verdict.allowed) {
    w.Key("status");
    w.StartObject();
    w.Key("code");
    w.Int(verdict.code);
    w.Key("reason");
    string(verdict.reason);
    w.Key("message");
    string(verdict.message);
    w.EndObject();
  }
  if (!verdict.warnings.empty()) {
    w.Key("warnings");
    w.StartArray();
    for (const std::string& warning : verdict.warnings) string(warning);
    w.EndArray();
  }
  if (!verdict.patch.empty()) {
    w.Key("patchType");
    string("JSONPatch");
    w.Key("patch");
    string(Base64Encode(verdict.patch));
  }
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace mlgitops
