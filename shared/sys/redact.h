// Keeping secrets out of errors and logs: known secret values, Authorization header values,
// URL passwords and PEM private keys are replaced by "***" before any text is shown.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mlgitops {

inline constexpr std::string_view kRedacted = "***";
/// Shorter values are not treated as secrets: scrubbing "ab" would garble every message.
inline constexpr size_t kMinSecretLength = 4;

/// Replaces every occurrence of each secret (longest first) with "***".
std::string Redact(std::string_view text, const std::vector<std::string>& secrets);

/// "Authorization: Bearer abc" -> "Authorization: Bearer ***" (also Proxy-Authorization, any
/// scheme, header name in any case); the value ends at the end of the line.
std::string RedactAuthorizationHeaders(std::string_view text);

/// "https://user:pass@host" -> "https://user:***@host"; "https://token@host" -> "https://***@host".
std::string RedactUrlUserinfo(std::string_view text);

/// The body of every "-----BEGIN ... PRIVATE KEY-----" block -> "***".
std::string RedactPrivateKeys(std::string_view text);

/// All of the above: the listed secrets, then header values, URL userinfo and private keys.
std::string RedactMessage(std::string_view text, const std::vector<std::string>& secrets = {});

/// Secret values seen at run time (kubeconfig tokens and keys, exec plugin output), so any
/// component can scrub a message it did not build. Thread-safe and bounded: past `capacity`
/// the oldest values are forgotten.
class SecretRegistry {
 public:
  explicit SecretRegistry(size_t capacity = 4096) : capacity_(capacity) {}
  /// The process-wide registry that the kubeconfig loader and credential providers fill.
  static SecretRegistry& Global();

  /// Remembers `secret` (ignored when shorter than kMinSecretLength); PEM values are also
  /// remembered line by line, so a partial echo is caught too.
  void Add(std::string_view secret);
  /// RedactMessage with every registered secret.
  std::string Scrub(std::string_view text) const;
  size_t size() const;

 private:
  void AddOne(std::string_view secret);

  size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<std::string> secrets_;
};

}  // namespace mlgitops
