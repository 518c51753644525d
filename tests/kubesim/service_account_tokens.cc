// The issued-token table.
#include "kubesim/service_account_tokens.h"

namespace mlgitops::kubesim {

void ServiceAccountTokens::Remember(const std::string& token, IssuedToken issued) {
  std::lock_guard<std::mutex> lock(mutex_);
  tokens_[token] = std::move(issued);
}

bool ServiceAccountTokens::Lookup(const std::string& token, int64_t now_unix,
                                  IssuedToken* issued) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = tokens_.find(token);
  if (it == tokens_.end() || it->second.expires_unix <= now_unix) return false;
  *issued = it->second;
  return true;
}

void ServiceAccountTokens::ForgetExpired(int64_t now_unix) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    it = it->second.expires_unix <= now_unix ? tokens_.erase(it) : std::next(it);
  }
}

}  // namespace mlgitops::kubesim
