// Audit lines, written under a mutex so concurrent requests never interleave.
#include "kubesim/audit.h"

#include <chrono>
#include <cstring>
#include <ctime>

#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

std::string NowMicros() {
  auto now = std::chrono::system_clock::now();
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06lldZ", buf, static_cast<long long>(micros % 1000000));
  return out;
}

void Field(std::string& out, const char* key, const std::string& value) {
  out += ',';
  AppendJsonString(out, key);
  out += ':';
  AppendJsonString(out, value);
}

}  // namespace

AuditLog::~AuditLog() {
  if (file_) std::fclose(file_);
}

Status AuditLog::Open(const std::string& path) {
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) return Status::IOError("cannot open audit log " + path + ": " + std::strerror(errno));
  return Status::OK();
}

std::string AuditLog::Line(const std::string& time, const RequestInfo& info,
                           const AuditRecord& record) {
  std::string out = "{\"time\":" + Quote(time);
  Field(out, "verb", info.verb);
  Field(out, "method", record.method);
  Field(out, "uri", record.uri);
  Field(out, "group", info.group);
  Field(out, "version", info.version);
  Field(out, "resource", info.resource);
  Field(out, "subresource", info.subresource);
  Field(out, "namespace", info.namespace_);
  Field(out, "name", info.name);
  out += ",\"code\":" + std::to_string(record.code);
  out += ",\"latencyMicros\":" + std::to_string(record.latency_us);
  Field(out, "userAgent", record.user_agent);
  if (!record.user.empty()) Field(out, "user", record.user);
  if (!record.impersonated_user.empty()) Field(out, "impersonatedUser", record.impersonated_user);
  if (!record.fault.empty()) Field(out, "fault", record.fault);
  out += '}';
  return out;
}

void AuditLog::Write(const RequestInfo& info, const AuditRecord& record) {
  if (!file_) return;
  std::string line = Line(NowMicros(), info, record) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace mlgitops::kubesim
