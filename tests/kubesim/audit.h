// The audit log: one JSON line per request (time, verb, resource, namespace, name, code, ...)
// so tests can check the order and count of writes. Each line is flushed as it is written.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include "kubesim/request_info.h"
#include "object/status.h"

namespace mlgitops::kubesim {

struct AuditRecord {
  std::string method;
  std::string uri;
  std::string user_agent;
  std::string user;               // the authenticated user ("" when authentication failed)
  std::string impersonated_user;  // the user acted as, when impersonating
  int code = 0;
  int64_t latency_us = 0;
  std::string fault;  // "", "429", "500", "drop", "latency"
};

class AuditLog {
 public:
  AuditLog() = default;
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  /// Opens (appending to) `path`.
  Status Open(const std::string& path);
  bool enabled() const { return file_ != nullptr; }
  /// Appends one line for a finished request.
  void Write(const RequestInfo& info, const AuditRecord& record);

  /// The JSON line (without newline) for a request; `time` is RFC 3339 with microseconds.
  static std::string Line(const std::string& time, const RequestInfo& info,
                          const AuditRecord& record);

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
};

}  // namespace mlgitops::kubesim
