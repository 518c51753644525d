// Keeping secrets out of errors and logs: known secret values, Authorization header values,
// URL passwords and PEM private keys are replaced by "***" before any text is shown.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
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

/// The userinfo of the URL whose "://" is at `sep`: [first, second) ends before the '@' that
/// closes it; {npos, npos} when there is none. RFC 3986 ends the authority at the first '/',
/// '?' or '#'; but "scheme://user:secret" whose secret holds one of those raw (a password that
/// should have been percent-encoded; git refuses such URLs) cannot be host:port, so there the
/// userinfo runs to the URL's last '@' and the secret is still found. The URL ends at white
/// space, a quote or '<' / '>'.
std::pair<size_t, size_t> UrlUserinfoSpan(std::string_view text, size_t sep);

/// `secret` and the forms it takes inside a URL (percent-encoded, upper- and lower-case hex),
/// so a value echoed in a URL is caught too.
std::vector<std::string> SecretForms(std::string_view secret);

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

  /// Remembers `secret` (ignored when shorter than kMinSecretLength) in each of its
  /// SecretForms; PEM values are also remembered line by line, so a partial echo is caught too.
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
