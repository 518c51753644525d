// Field numbers from k8s.io/api and k8s.io/apimachinery generated.proto, for the kinds kubectl's
// create subcommands send.
#include "kubesim/protobuf_schema.h"

#include <map>

namespace mlgitops::kubesim {

namespace {

using K = ProtoKind;

ProtoField S(int n, const char* json) { return {n, json, K::kString}; }
ProtoField Strings(int n, const char* json) { return {n, json, K::kString, nullptr, true}; }
ProtoField I(int n, const char* json, bool keep = false) {
  return {n, json, K::kInt, nullptr, false, keep};
}
ProtoField B(int n, const char* json, bool keep = false) {
  return {n, json, K::kBool, nullptr, false, keep};
}
ProtoField M(int n, const char* json, const char* message) {
  return {n, json, K::kMessage, message};
}
ProtoField Ms(int n, const char* json, const char* message) {
  return {n, json, K::kMessage, message, true};
}
ProtoField Map(int n, const char* json, K kind = K::kStringMap) { return {n, json, kind}; }

const std::map<std::string, ProtoMessage>& Messages() {
  static const std::map<std::string, ProtoMessage> kMessages = [] {
    std::vector<ProtoMessage> list = {
        {"Unknown",
         {M(1, "typeMeta", "TypeMeta"),
          {2, "raw", K::kString},
          S(3, "contentEncoding"),
          S(4, "contentType")}},
        {"TypeMeta", {S(1, "apiVersion"), S(2, "kind")}},
        {"ObjectMeta",
         {S(1, "name"),
          S(2, "generateName"),
          S(3, "namespace"),
          S(5, "uid"),
          S(6, "resourceVersion"),
          I(7, "generation"),
          {8, "creationTimestamp", K::kTime},
          {9, "deletionTimestamp", K::kTime},
          I(10, "deletionGracePeriodSeconds", true),
          Map(11, "labels"),
          Map(12, "annotations"),
          Ms(13, "ownerReferences", "OwnerReference"),
          Strings(14, "finalizers")}},
        {"OwnerReference",
         {S(1, "kind"), S(3, "name"), S(4, "uid"), S(5, "apiVersion"), B(6, "controller", true),
          B(7, "blockOwnerDeletion", true)}},
        {"Namespace", {M(1, "metadata", "ObjectMeta"), M(2, "spec", "NamespaceSpec")}},
        {"NamespaceSpec", {Strings(1, "finalizers")}},
        {"ConfigMap",
         {M(1, "metadata", "ObjectMeta"), Map(2, "data"), Map(3, "binaryData", K::kBytesMap),
          B(4, "immutable", true)}},
        {"Secret",
         {M(1, "metadata", "ObjectMeta"), Map(2, "data", K::kBytesMap), S(3, "type"),
          Map(4, "stringData"), B(5, "immutable", true)}},
        {"ServiceAccount",
         {M(1, "metadata", "ObjectMeta"), Ms(2, "secrets", "ObjectReference"),
          Ms(3, "imagePullSecrets", "LocalObjectReference"),
          B(4, "automountServiceAccountToken", true)}},
        {"ObjectReference",
         {S(1, "kind"), S(2, "namespace"), S(3, "name"), S(4, "uid"), S(5, "apiVersion"),
          S(6, "resourceVersion"), S(7, "fieldPath")}},
        {"LocalObjectReference", {S(1, "name")}},
        {"TokenRequest", {M(1, "metadata", "ObjectMeta"), M(2, "spec", "TokenRequestSpec")}},
        {"TokenRequestSpec",
         {Strings(1, "audiences"), M(3, "boundObjectRef", "BoundObjectReference"),
          I(4, "expirationSeconds", true)}},
        {"BoundObjectReference", {S(1, "kind"), S(2, "apiVersion"), S(3, "name"), S(4, "uid")}},
        {"Service", {M(1, "metadata", "ObjectMeta"), M(2, "spec", "ServiceSpec")}},
        {"ServiceSpec",
         {Ms(1, "ports", "ServicePort"), Map(2, "selector"), S(3, "clusterIP"), S(4, "type"),
          Strings(5, "externalIPs"), S(7, "sessionAffinity"), S(8, "loadBalancerIP"),
          Strings(9, "loadBalancerSourceRanges"), S(10, "externalName"),
          S(11, "externalTrafficPolicy"), I(12, "healthCheckNodePort"),
          B(13, "publishNotReadyAddresses"), Strings(18, "clusterIPs"), Strings(19, "ipFamilies")}},
        {"ServicePort",
         {S(1, "name"),
          S(2, "protocol"),
          I(3, "port"),
          {4, "targetPort", K::kIntOrString},
          I(5, "nodePort"),
          S(6, "appProtocol")}},
        {"Deployment", {M(1, "metadata", "ObjectMeta"), M(2, "spec", "DeploymentSpec")}},
        {"DeploymentSpec",
         {I(1, "replicas", true), M(2, "selector", "LabelSelector"),
          M(3, "template", "PodTemplateSpec"), M(4, "strategy", "DeploymentStrategy"),
          I(5, "minReadySeconds"), I(6, "revisionHistoryLimit", true), B(7, "paused"),
          I(9, "progressDeadlineSeconds", true)}},
        {"DeploymentStrategy", {S(1, "type"), M(2, "rollingUpdate", "RollingUpdateDeployment")}},
        {"RollingUpdateDeployment",
         {{1, "maxUnavailable", K::kIntOrString}, {2, "maxSurge", K::kIntOrString}}},
        {"LabelSelector",
         {Map(1, "matchLabels"), Ms(2, "matchExpressions", "LabelSelectorRequirement")}},
        {"LabelSelectorRequirement", {S(1, "key"), S(2, "operator"), Strings(3, "values")}},
        {"PodTemplateSpec", {M(1, "metadata", "ObjectMeta"), M(2, "spec", "PodSpec")}},
        {"PodSpec",
         {Ms(2, "containers", "Container"), S(3, "restartPolicy"),
          I(4, "terminationGracePeriodSeconds", true), I(5, "activeDeadlineSeconds", true),
          S(6, "dnsPolicy"), Map(7, "nodeSelector"), S(8, "serviceAccountName"), S(10, "nodeName"),
          B(11, "hostNetwork"), Ms(15, "imagePullSecrets", "LocalObjectReference"),
          S(16, "hostname"), S(17, "subdomain"), S(19, "schedulerName"),
          Ms(20, "initContainers", "Container"), S(24, "priorityClassName")}},
        {"Container",
         {S(1, "name"), S(2, "image"), Strings(3, "command"), Strings(4, "args"),
          S(5, "workingDir"), Ms(6, "ports", "ContainerPort"), Ms(7, "env", "EnvVar"),
          M(8, "resources", "ResourceRequirements"), S(13, "terminationMessagePath"),
          S(14, "imagePullPolicy"), B(16, "stdin"), B(17, "stdinOnce"), B(18, "tty"),
          S(20, "terminationMessagePolicy")}},
        {"ContainerPort",
         {S(1, "name"), I(2, "hostPort"), I(3, "containerPort"), S(4, "protocol"), S(5, "hostIP")}},
        {"EnvVar", {S(1, "name"), S(2, "value")}},
        {"ResourceRequirements",
         {Map(1, "limits", K::kQuantityMap), Map(2, "requests", K::kQuantityMap)}},
        {"Job", {M(1, "metadata", "ObjectMeta"), M(2, "spec", "JobSpec")}},
        {"JobSpec",
         {I(1, "parallelism", true), I(2, "completions", true), I(3, "activeDeadlineSeconds", true),
          M(4, "selector", "LabelSelector"), B(5, "manualSelector", true),
          M(6, "template", "PodTemplateSpec"), I(7, "backoffLimit", true),
          I(8, "ttlSecondsAfterFinished", true), S(9, "completionMode"), B(10, "suspend", true)}},
        {"CronJob", {M(1, "metadata", "ObjectMeta"), M(2, "spec", "CronJobSpec")}},
        {"CronJobSpec",
         {S(1, "schedule"),
          I(2, "startingDeadlineSeconds", true),
          S(3, "concurrencyPolicy"),
          B(4, "suspend", true),
          M(5, "jobTemplate", "JobTemplateSpec"),
          I(6, "successfulJobsHistoryLimit", true),
          I(7, "failedJobsHistoryLimit", true),
          {8, "timeZone", K::kString, nullptr, false, true}}},
        {"JobTemplateSpec", {M(1, "metadata", "ObjectMeta"), M(2, "spec", "JobSpec")}},
        {"Role", {M(1, "metadata", "ObjectMeta"), Ms(2, "rules", "PolicyRule")}},
        {"ClusterRole",
         {M(1, "metadata", "ObjectMeta"), Ms(2, "rules", "PolicyRule"),
          M(3, "aggregationRule", "AggregationRule")}},
        {"AggregationRule", {Ms(1, "clusterRoleSelectors", "LabelSelector")}},
        {"PolicyRule",
         {Strings(1, "verbs"), Strings(2, "apiGroups"), Strings(3, "resources"),
          Strings(4, "resourceNames"), Strings(5, "nonResourceURLs")}},
        {"RoleBinding",
         {M(1, "metadata", "ObjectMeta"), Ms(2, "subjects", "Subject"),
          M(3, "roleRef", "RoleRef")}},
        {"ClusterRoleBinding",
         {M(1, "metadata", "ObjectMeta"), Ms(2, "subjects", "Subject"),
          M(3, "roleRef", "RoleRef")}},
        {"Subject", {S(1, "kind"), S(2, "apiGroup"), S(3, "name"), S(4, "namespace")}},
        {"SelfSubjectAccessReview",
         {M(1, "metadata", "ObjectMeta"), M(2, "spec", "SelfSubjectAccessReviewSpec")}},
        {"SelfSubjectAccessReviewSpec",
         {M(1, "resourceAttributes", "ResourceAttributes"),
          M(2, "nonResourceAttributes", "NonResourceAttributes")}},
        {"ResourceAttributes",
         {S(1, "namespace"), S(2, "verb"), S(3, "group"), S(4, "version"), S(5, "resource"),
          S(6, "subresource"), S(7, "name")}},
        {"NonResourceAttributes", {S(1, "path"), S(2, "verb")}},
        // kubectl auth can-i --list / auth whoami, and the reviews clients send.
        {"SelfSubjectRulesReview",
         {M(1, "metadata", "ObjectMeta"), M(2, "spec", "SelfSubjectRulesReviewSpec")}},
        {"SelfSubjectRulesReviewSpec", {S(1, "namespace")}},
        {"SelfSubjectReview", {M(1, "metadata", "ObjectMeta")}},
        {"SubjectAccessReview",
         {M(1, "metadata", "ObjectMeta"), M(2, "spec", "SubjectAccessReviewSpec")}},
        {"LocalSubjectAccessReview",
         {M(1, "metadata", "ObjectMeta"), M(2, "spec", "SubjectAccessReviewSpec")}},
        {"SubjectAccessReviewSpec",
         {M(1, "resourceAttributes", "ResourceAttributes"),
          M(2, "nonResourceAttributes", "NonResourceAttributes"), S(3, "user"),
          Strings(4, "groups"), S(6, "uid")}},
        {"TokenReview", {M(1, "metadata", "ObjectMeta"), M(2, "spec", "TokenReviewSpec")}},
        {"TokenReviewSpec", {S(1, "token"), Strings(2, "audiences")}},
        {"RoleRef", {S(1, "apiGroup"), S(2, "kind"), S(3, "name")}},
    };
    std::map<std::string, ProtoMessage> by_name;
    for (ProtoMessage& m : list) by_name.emplace(m.name, std::move(m));
    return by_name;
  }();
  return kMessages;
}

}  // namespace

const ProtoMessage* FindProtoMessage(const std::string& name) {
  auto it = Messages().find(name);
  return it == Messages().end() ? nullptr : &it->second;
}

}  // namespace mlgitops::kubesim
