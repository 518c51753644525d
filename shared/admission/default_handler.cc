// The handler mlgitops-webhook runs: until the policy lands it admits every review, echoing the
// request uid in the apiVersion it came with (the apiserver rejects answers without that uid).
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "admission/server.h"

namespace mlgitops {
namespace {

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag;

AdmissionOutcome Invalid(const std::string& reason) {
  AdmissionOutcome outcome;
  outcome.http_status = 400;
  outcome.body = reason + "\n";
  outcome.content_type = "text/plain";
  outcome.result = "invalid";
  return outcome;
}

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

AdmissionOutcome AllowAll(std::string_view body) {
  rapidjson::Document review;
  review.Parse<kParseFlags>(body.data(), body.size());
  if (review.HasParseError()) {
    return Invalid(std::string("body is not JSON: ") +
                   rapidjson::GetParseError_En(review.GetParseError()));
  }
  const rapidjson::Value* request = Member(review, "request");
  const rapidjson::Value* uid = request != nullptr ? Member(*request, "uid") : nullptr;
  if (uid == nullptr || !uid->IsString()) return Invalid("AdmissionReview has no request.uid");
  const rapidjson::Value* api_version = Member(review, "apiVersion");
  const rapidjson::Value* operation = Member(*request, "operation");

  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("apiVersion");
  if (api_version != nullptr && api_version->IsString()) {
    writer.String(api_version->GetString(), api_version->GetStringLength());
  } else {
    writer.String("admission.k8s.io/v1");
  }
  writer.Key("kind");
  writer.String("AdmissionReview");
  writer.Key("response");
  writer.StartObject();
  writer.Key("uid");
  writer.String(uid->GetString(), uid->GetStringLength());
  writer.Key("allowed");
  writer.Bool(true);
  writer.EndObject();
  writer.EndObject();

  AdmissionOutcome outcome;
  outcome.body.assign(buffer.GetString(), buffer.GetSize());
  outcome.result = "allowed";
  if (operation != nullptr && operation->IsString()) outcome.operation = operation->GetString();
  return outcome;
}

}  // namespace

Result<AdmissionHandlerFn> DefaultAdmissionHandler(const std::string& /*config_path*/) {
  return AdmissionHandlerFn(
      [](AdmissionEndpoint, std::string_view body) { return AllowAll(body); });
}

}  // namespace mlgitops
