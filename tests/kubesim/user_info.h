// Who a request is made by, as kube-apiserver's authenticators report it (user.Info: name, uid,
// groups, extra), and the per-thread record of the request being served.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mlgitops::kubesim {

inline constexpr char kMastersGroup[] = "system:masters";
inline constexpr char kAuthenticatedGroup[] = "system:authenticated";
inline constexpr char kUnauthenticatedGroup[] = "system:unauthenticated";
inline constexpr char kServiceAccountPrefix[] = "system:serviceaccount:";

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;

  bool InGroup(const std::string& group) const {
    for (const std::string& g : groups) {
      if (g == group) return true;
    }
    return false;
  }
  /// {"username":...,"uid":...,"groups":[...],"extra":{...}} (authentication.k8s.io UserInfo).
  std::string ToJson() const;
};

/// The kubeconfig's identity: the cluster administrator.
UserInfo AdminUser();
/// kubesim's simulated controllers write as the controller manager (never authorized).
UserInfo ControllerManagerUser();
/// A ServiceAccount's identity: system:serviceaccount:NS:NAME in its groups.
UserInfo ServiceAccountUser(const std::string& ns, const std::string& name, const std::string& uid);
/// Splits "system:serviceaccount:NS:NAME"; false for other names.
bool SplitServiceAccountName(const std::string& user, std::string* ns, std::string* name);

/// The user of the request this thread serves (set by ApiServer::Handle), or null outside one
/// (kubesim's own seeding and background work, which is privileged).
const UserInfo* CurrentUser();

class CurrentUserScope {
 public:
  explicit CurrentUserScope(const UserInfo* user);
  ~CurrentUserScope();
  CurrentUserScope(const CurrentUserScope&) = delete;
  CurrentUserScope& operator=(const CurrentUserScope&) = delete;

 private:
  const UserInfo* previous_;
};

}  // namespace mlgitops::kubesim
