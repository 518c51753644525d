// The admission webhook's decision, as a pure function from an AdmissionReview body to the HTTP
// answer: the same policy rules as `lint`, plus the mutations (default waves, CreateNamespace).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlgitops {

enum class AdmissionEndpoint { kMutate, kValidate };

/// What one review came to: the HTTP answer, and what metrics and logs need to know of it.
struct AdmissionOutcome {
  int http_status = 200;     // 400 for bodies that are not an AdmissionReview
  std::string body;          // the AdmissionReview answer (or a short reason with 400)
  std::string content_type = "application/json";
  std::string operation;     // CREATE, UPDATE, DELETE, CONNECT ("" when unreadable)
  std::string result;        // allowed, denied, patched, invalid
  std::vector<std::string> denied_rules;
  std::vector<std::string> warned_rules;
  std::string object;        // "apps/Deployment ml/ranker", for logs
  std::string message;       // the denial message, for logs
};

}  // namespace mlgitops
