// Routing of resource requests to the handlers, plus the seed state of a fresh cluster.
#include "kubesim/api_server.h"

#include "kubesim/custom_resources.h"
#include "kubesim/discovery.h"
#include "kubesim/json_util.h"
#include "kubesim/object_rules.h"
#include "kubesim/openapi.h"

namespace mlgitops::kubesim {

namespace {

const char* const kSeedNamespaces[] = {"default", "kube-system", "kube-public", "kube-node-lease"};

}  // namespace

ApiServer::ApiServer(const Clock* clock) : clock_(clock) {
  auto ns_type = catalog_.Find("", "v1", "namespaces");
  for (const char* name : kSeedNamespaces) {
    Object ns;
    JsonAllocator& a = ns.allocator();
    JsonValue& root = ns.mutable_json();
    SetString(root, "apiVersion", "v1", a);
    SetString(root, "kind", "Namespace", a);
    SetPath(root, "metadata.name", Str(name, a), a);
    WriteContext ctx{*ns_type, "kube-apiserver", "", false};
    CommitCreate(ctx, std::move(ns), false);
  }
  SeedRbacPolicy();
}

std::string ApiServer::NowTimestamp() const { return Timestamp(Now()); }

std::string ApiServer::Render(const ObjectPtr& object, const ResourceType& type) const {
  if (!type.crd_name.empty()) {  // schema defaults apply on reads too (custom_resources.h)
    Object defaulted = object->Clone();
    if (DefaultStoredCustomResource(store_, type, &defaulted)) {
      return RenderAs(defaulted, type.api_version());
    }
  }
  return RenderAs(*object, type.api_version());
}

HttpResponse ApiServer::Handle(const HttpRequest& request, const RequestInfo& info) {
  if (IsHealthPath(request.path)) {
    HttpResponse ok = JsonResponse(200, "ok");
    ok.content_type = "text/plain; charset=utf-8";
    return ok;
  }
  if (info.is_resource_request) {
    // Admission webhooks may add warnings to the answer (admission.h).
    AdmissionRequestScope admission_scope(!request.from_controllers);
    // Admission's userInfo and the RBAC write checks read the requester (controllers: none).
    CurrentUserScope user_scope(request.from_controllers ? nullptr : &request.user);
    HttpResponse response = ServeResource(request, info);
    admission_scope.AttachWarnings(&response);
    if (info.group == kRbacGroup && info.resource == "clusterroles" && response.status < 300 &&
        info.verb != "get" && info.verb != "list" && info.verb != "watch") {
      RunRoleAggregation();  // the clusterrole aggregation controller, at once
    }
    return response;
  }
  if (request.method != "GET") return ErrorResponse(MethodNotAllowedOnResource());
  if (request.path.rfind("/openapi/", 0) == 0) return ServeOpenApi(catalog_, request);
  return ServeDiscovery(catalog_, request, server_address_);
}

HttpResponse ApiServer::ServeResource(const HttpRequest& request, const RequestInfo& info) {
  auto type = catalog_.Find(info.group, info.version, info.resource);
  if (!type) return ErrorResponse(ResourceNotServed());
  std::string ns = info.namespace_;
  if (!type->namespaced) {
    // Only a Namespace's own paths carry a namespace for a cluster-scoped type.
    if (!ns.empty() && !(type->plural == "namespaces" && ns == info.name)) {
      return ErrorResponse(ResourceNotServed());
    }
    ns.clear();
  }
  if (info.subresource == "token" && type->group.empty() && type->plural == "serviceaccounts") {
    return CreateServiceAccountToken(Call{request, info, *type, ns});
  }
  bool status = info.subresource == "status" && type->has_status;
  bool scale = info.subresource == "scale" && type->has_scale;
  if (!info.subresource.empty() && !status && !scale) return ErrorResponse(ResourceNotServed());
  if (type->namespaced && ns.empty() && info.verb != "list" && info.verb != "watch") {
    return ErrorResponse(ResourceNotServed());
  }
  Call call{request, info, *type, ns};
  if (scale) return Scale(call);
  if (type->group == "authorization.k8s.io" || type->group == "authentication.k8s.io") {
    return Review(call);
  }
  const std::string& verb = info.verb;
  bool named = !info.name.empty();
  if (verb == "get") return Get(call);
  if (verb == "list") return List(call);
  if (verb == "watch") return Watch(call);
  if (verb == "create" && !named) {
    if (auto refused = RefuseCreateWhileCrdTerminating(*type)) return ErrorResponse(*refused);
    return Create(call);
  }
  if (verb == "update" && named) return Update(call);
  if (verb == "patch" && named) return Patch(call);
  if (verb == "delete" && info.subresource.empty()) return Delete(call);
  if (verb == "deletecollection" && type->plural != "namespaces") return DeleteCollection(call);
  return ErrorResponse(MethodNotAllowedOnResource());
}

void ApiServer::Tick() {
  auto ns_type = catalog_.Find("", "v1", "namespaces");
  for (const ObjectPtr& ns : store_.List(ns_type->storage_key(), "")) {
    if (Find(ns->json(), "metadata.deletionTimestamp")) FinalizeNamespace(ns);
  }
  CollectGarbage();
  FinalizeCustomResourceDefinitions();
}

}  // namespace mlgitops::kubesim
