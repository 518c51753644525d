// ApiServer: kube-apiserver's REST semantics over the Store — discovery, CRUD, list/watch,
// patch and apply, deletion with finalizers, namespaces, CRDs. Transport-neutral: the HTTPS
// wiring (authentication, faults, audit) lives in server.h.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kubesim/admission.h"
#include "kubesim/api_errors.h"
#include "kubesim/catalog.h"
#include "kubesim/deletion.h"
#include "kubesim/http_types.h"
#include "kubesim/rbac.h"
#include "kubesim/request_info.h"
#include "kubesim/service_account_tokens.h"
#include "kubesim/store.h"
#include "object/clock.h"

namespace mlgitops::kubesim {

class Authenticator;

class ApiServer {
 public:
  /// `clock` supplies creation timestamps and table ages; it must outlive the server.
  explicit ApiServer(const Clock* clock);

  /// "127.0.0.1:PORT", reported by /api.
  void set_server_address(const std::string& address) { server_address_ = address; }
  /// Serves one authenticated request.
  HttpResponse Handle(const HttpRequest& request, const RequestInfo& info);
  /// Background work of the control plane: namespace deletion, garbage collection, the CRD
  /// cleanup finalizer (README.md, "Deletion").
  void Tick();
  /// Whether `authorization` ("Bearer T") carries a live token issued by the TokenRequest API
  /// (whose record goes to `issued`).
  bool AuthenticatesIssuedToken(const std::string& authorization,
                                IssuedToken* issued = nullptr) const;
  /// RBAC (rbac.h): authorizes every request; set_always_allow for AlwaysAllow mode.
  RbacAuthorizer& rbac() { return rbac_; }
  /// Who TokenReview asks (authn.h); must outlive the server.
  void set_authenticator(const Authenticator* authenticator) { authenticator_ = authenticator; }
  /// Ends open watches.
  void Shutdown() { store_.Shutdown(); }

  Store& store() { return store_; }
  const Catalog& catalog() const { return catalog_; }
  /// Admission webhooks (configure Service endpoints here).
  Admission& admission() { return admission_; }

 private:
  struct Call {
    const HttpRequest& request;
    const RequestInfo& info;
    ResourceType type;
    std::string namespace_;  // "" for cluster-scoped types
  };
  struct WriteContext {
    WriteContext(const ResourceType& t, std::string m, std::string sub, bool dry)
        : type(t), manager(std::move(m)), subresource(std::move(sub)), dry_run(dry) {}
    const ResourceType& type;
    std::string manager;
    std::string subresource;  // "" or "status"
    bool dry_run = false;
    std::string field_validation;  // fieldValidation query (custom resources: custom_resources.h)
    bool patch = false;            // a PATCH that is not server-side apply
  };
  struct Committed {
    ObjectPtr object;
    bool created = false;
    bool deleted = false;  // finalizers emptied on a terminating object
  };

  HttpResponse ServeResource(const HttpRequest& request, const RequestInfo& info);
  // auth_handlers.cc: access reviews, RBAC escalation/bind checks, role aggregation.
  HttpResponse Review(const Call& call);
  std::optional<ApiError> CheckRbacWrite(const ResourceType& type, const std::string& ns,
                                         const std::string& name, const JsonValue& object,
                                         const JsonValue* old);
  void RunRoleAggregation();
  void SeedRbacPolicy();
  // token_handlers.cc
  HttpResponse CreateServiceAccountToken(const Call& call);

  // read_handlers.cc
  HttpResponse Get(const Call& call);
  HttpResponse List(const Call& call);
  HttpResponse Watch(const Call& call);
  // write_handlers.cc
  HttpResponse Create(const Call& call);
  HttpResponse Update(const Call& call);
  ApiResult<Object> DecodeBody(const Call& call, bool yaml_allowed);
  ApiResult<Committed> CommitCreate(const WriteContext& ctx, Object object, bool managed);
  std::optional<ApiError> ReprepareMutated(const ResourceType& type, bool mutated, Object* object,
                                           const JsonValue* old);
  ApiResult<Committed> CommitUpdate(const WriteContext& ctx, const ObjectPtr& old, Object next,
                                    bool managed);
  ApiError CheckNamespaceWritable(const ResourceType& type, const std::string& ns,
                                  const std::string& name);
  void AfterWrite(const ResourceType& type, const Committed& result);
  // patch_handlers.cc
  HttpResponse Patch(const Call& call);
  HttpResponse Apply(const Call& call, const ObjectPtr& live);
  // scale_handlers.cc
  HttpResponse Scale(const Call& call);
  // delete_handlers.cc
  HttpResponse Delete(const Call& call);
  HttpResponse DeleteCollection(const Call& call);
  ApiResult<Committed> DeleteObject(const ResourceType& type, const ObjectPtr& object,
                                    const DeleteRequest& request);
  void FinalizeNamespace(const ObjectPtr& ns);
  // garbage_collector.cc: kube-controller-manager's garbage collector, one pass.
  void CollectGarbage();
  // crd_cleanup.cc: the apiextensions-apiserver CRD finalizer.
  void MarkCrdForCleanup(JsonValue& crd, JsonAllocator& a) const;
  void FinalizeCustomResourceDefinitions();
  std::optional<ApiError> RefuseCreateWhileCrdTerminating(const ResourceType& type) const;
  void RemoveCustomResources(const ResourceType& crd_type, const ObjectPtr& crd);

  /// The object JSON as served for `type` (apiVersion set to the requested version).
  std::string Render(const ObjectPtr& object, const ResourceType& type) const;
  std::string NowTimestamp() const;
  int64_t Now() const { return clock_->NowUnix(); }

  const Clock* clock_;
  Catalog catalog_;
  Store store_;
  std::string server_address_ = "127.0.0.1";
  // Writes are serialized: each one reads, checks and stores without racing another.
  std::recursive_mutex write_mu_;
  // Webhooks every create, update and delete passes (admission.h).
  Admission admission_{&store_, &catalog_};
  ServiceAccountTokens tokens_;
  RbacAuthorizer rbac_{&store_};
  const Authenticator* authenticator_ = nullptr;
};

}  // namespace mlgitops::kubesim
