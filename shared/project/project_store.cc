// Reading AppProjects from the control cluster and gating Applications on them.
#include "project/project_store.h"

#include <map>

#include "kube/errors.h"

namespace mlgitops {

namespace {

constexpr const char* kProjectGroups[] = {"mlgitops.io", "argoproj.io"};

}  // namespace

std::string ControlNamespaceFor(const std::string& flag, const GetEnvFn& getenv) {
  if (!flag.empty()) return flag;
  if (getenv) {
    if (const char* env = getenv(kControlNamespaceEnv); env && *env) return env;
  }
  return kDefaultControlNamespace;
}

Result<AppProject> LoadAppProject(KubeClient& control, const std::string& control_namespace,
                                  const std::string& name) {
  bool served = false;
  for (const char* group : kProjectGroups) {
    GroupVersionKind gvk{group, "v1alpha1", "AppProject"};
    auto resource = control.Resource(gvk);
    if (!resource.ok()) {
      if (resource.status().code() == Status::Code::kNotFound) continue;  // CRD not installed
      return resource.status().Prefixed("reading AppProject \"" + name + "\"");
    }
    served = true;
    auto object = control.Get(ObjectKey{gvk, control_namespace, name});
    if (!object.ok()) {
      if (object.status().code() == Status::Code::kNotFound) continue;
      return object.status().Prefixed("reading AppProject \"" + name + "\" in namespace \"" +
                                      control_namespace + "\"");
    }
    object->set_origin("");
    return ParseAppProject(*object);
  }
  if (!served && name == kDefaultProject) return BuiltInDefaultProject();
  // Argo CD's InvalidSpecError text for a missing project.
  return Status::InvalidArgument("Application referencing project " + name +
                                 " which does not exist (no AppProject \"" + name +
                                 "\" in namespace \"" + control_namespace + "\")");
}

Status EnsureDefaultProject(KubeClient& control, const std::string& control_namespace) {
  // Found (or the built-in one, when no AppProject kind is served): nothing to create. A
  // `default` that exists but does not parse is left to say so where it is used.
  auto existing = LoadAppProject(control, control_namespace, std::string(kDefaultProject));
  if (existing.ok()) return Status::OK();
  if (existing.status().code() != Status::Code::kInvalidArgument) return existing.status();
  if (!control.Resource({"mlgitops.io", "v1alpha1", "AppProject"}).ok()) return Status::OK();
  auto project = ParseJsonObject(
      "{\"apiVersion\":\"mlgitops.io/v1alpha1\",\"kind\":\"AppProject\",\"metadata\":{"
      "\"name\":\"default\",\"namespace\":\"" +
          control_namespace +
          "\"},\"spec\":{\"sourceRepos\":[\"*\"],\"destinations\":[{\"server\":\"*\","
          "\"namespace\":\"*\"}],\"clusterResourceWhitelist\":[{\"group\":\"*\",\"kind\":"
          "\"*\"}]}}",
      "the default AppProject");
  if (!project.ok()) return project.status();
  auto created = control.Create(*project, WriteOptions());
  if (!created.ok() && !HasApiReason(created.status(), "AlreadyExists")) {
    return created.status().Prefixed("creating the default AppProject");
  }
  return Status::OK();
}

Result<AppProject> ProjectForApplication(KubeClient& control, const std::string& control_namespace,
                                         const Application& app) {
  auto project = LoadAppProject(control, control_namespace,
                                app.project.empty() ? std::string(kDefaultProject) : app.project);
  if (!project.ok()) return project.status();
  Status permitted = CheckApplicationSpec(*project, app, control_namespace);
  if (!permitted.ok()) return permitted;
  return project;
}

Result<std::unique_ptr<KubeClient>> ClientForProjectAccount(const AppProject& project,
                                                            const ApplicationDestination& dest,
                                                            KubeClient& destination, bool require) {
  auto service_account = ImpersonationUserFor(project, dest);
  if (service_account.ok()) return destination.Impersonating(*service_account);
  if (service_account.status().code() == Status::Code::kNotFound && !require) {
    return std::unique_ptr<KubeClient>();
  }
  return service_account.status();
}

Result<std::function<Status(const Application&)>> ClusterProjectCheck(
    const std::string& kubeconfig, const std::string& control_namespace, const GetEnvFn& getenv) {
  KubeconfigOptions options;
  options.kubeconfig_flag = kubeconfig;
  auto client = ConnectWithKubeconfig(options, getenv);
  if (!client.ok()) return client.status().Prefixed("reading AppProjects");
  std::shared_ptr<KubeClient> shared(std::move(*client));
  return std::function<Status(const Application&)>(
      [shared, control_namespace](const Application& app) {
        return ProjectForApplication(*shared, control_namespace, app).status();
      });
}

Status CheckManifestsPermitted(const AppProject& project, const Application& app,
                               const std::vector<Object>& objects, KubeClient& destination) {
  if (project.built_in) return Status::OK();
  // Kinds the app itself defines (its CRDs), for objects of kinds not served yet.
  std::map<std::pair<std::string, std::string>, bool> defined;
  for (const Object& o : objects) {
    if (o.kind() != "CustomResourceDefinition" || o.group() != "apiextensions.k8s.io") continue;
    defined[{GetString(o.json(), "spec.group"), GetString(o.json(), "spec.names.kind")}] =
        GetString(o.json(), "spec.scope") != "Cluster";
  }
  ScopeLookup scope = [&](const Object& o) -> std::optional<bool> {
    auto resource = destination.Resource(GroupVersionKind::Of(o));
    if (resource.ok()) return resource->namespaced;
    auto it = defined.find({o.group(), o.kind()});
    if (it != defined.end()) return it->second;
    return std::nullopt;
  };
  return CheckManifests(project, app, objects, scope);
}

}  // namespace mlgitops
