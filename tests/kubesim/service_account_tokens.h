// Bearer tokens kubesim issues through the TokenRequest API (serviceaccounts/NAME/token): they
// authenticate like the run's own token until they expire or their ServiceAccount is deleted.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace mlgitops::kubesim {

/// Who a token was issued to; the uid makes a token die with its ServiceAccount even when a
/// new one of the same name is created later.
struct IssuedToken {
  std::string namespace_;
  std::string service_account;
  std::string service_account_uid;
  int64_t expires_unix = 0;
};

/// Thread-safe table of issued tokens.
class ServiceAccountTokens {
 public:
  void Remember(const std::string& token, IssuedToken issued);
  /// The token's record when it was issued here and has not expired at `now_unix`.
  bool Lookup(const std::string& token, int64_t now_unix, IssuedToken* issued) const;
  /// Forgets expired tokens (called as new ones are issued, so the table stays bounded).
  void ForgetExpired(int64_t now_unix);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, IssuedToken> tokens_;
};

}  // namespace mlgitops::kubesim
