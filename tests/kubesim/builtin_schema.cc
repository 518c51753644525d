// The schema table of builtin_schema.h. Each line declares a struct: `Name = field field:Type
// field:[Type] field:{Type}`; a bare field is a leaf (scalars, string maps, quantities,
// int-or-string, and nested types not described here, whose insides are not checked). Kinds map
// to their top-level struct at the end. `status` is a leaf everywhere: kubesim's controllers own
// it and clients rarely send it.
#include "kubesim/builtin_schema.h"

#include <memory>
#include <sstream>
#include <vector>

namespace mlgitops::kubesim {

namespace {

const char kTypes[] = R"(
ObjectMeta = name generateName namespace selfLink uid resourceVersion generation creationTimestamp deletionTimestamp deletionGracePeriodSeconds labels annotations ownerReferences:[OwnerReference] finalizers managedFields:[ManagedFieldsEntry]
OwnerReference = apiVersion kind name uid controller blockOwnerDeletion
ManagedFieldsEntry = manager operation apiVersion time fieldsType fieldsV1 subresource
LabelSelector = matchLabels matchExpressions:[LabelSelectorRequirement]
LabelSelectorRequirement = key operator values
LocalObjectReference = name
TypedLocalObjectReference = apiGroup kind name
TypedObjectReference = apiGroup kind name namespace
PodTemplateSpec = metadata:ObjectMeta spec:PodSpec
PodSpec = volumes:[Volume] initContainers:[Container] containers:[Container] ephemeralContainers:[EphemeralContainer] restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy nodeSelector serviceAccountName serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID hostIPC shareProcessNamespace securityContext:PodSecurityContext imagePullSecrets:[LocalObjectReference] hostname subdomain affinity:Affinity schedulerName tolerations:[Toleration] hostAliases:[HostAlias] priorityClassName priority dnsConfig:PodDNSConfig readinessGates:[PodReadinessGate] runtimeClassName enableServiceLinks preemptionPolicy overhead topologySpreadConstraints:[TopologySpreadConstraint] setHostnameAsFQDN os:PodOS hostUsers schedulingGates:[PodSchedulingGate] resourceClaims:[PodResourceClaim] resources:ResourceRequirements
Container = name image command args workingDir ports:[ContainerPort] envFrom:[EnvFromSource] env:[EnvVar] resources:ResourceRequirements resizePolicy:[ContainerResizePolicy] restartPolicy volumeMounts:[VolumeMount] volumeDevices:[VolumeDevice] livenessProbe:Probe readinessProbe:Probe startupProbe:Probe lifecycle:Lifecycle terminationMessagePath terminationMessagePolicy imagePullPolicy securityContext:SecurityContext stdin stdinOnce tty
EphemeralContainer = name image command args workingDir ports:[ContainerPort] envFrom:[EnvFromSource] env:[EnvVar] resources:ResourceRequirements resizePolicy:[ContainerResizePolicy] restartPolicy volumeMounts:[VolumeMount] volumeDevices:[VolumeDevice] livenessProbe:Probe readinessProbe:Probe startupProbe:Probe lifecycle:Lifecycle terminationMessagePath terminationMessagePolicy imagePullPolicy securityContext:SecurityContext stdin stdinOnce tty targetContainerName
ContainerPort = name hostPort containerPort protocol hostIP
EnvVar = name value valueFrom:EnvVarSource
EnvVarSource = fieldRef:ObjectFieldSelector resourceFieldRef:ResourceFieldSelector configMapKeyRef:KeySelector secretKeyRef:KeySelector
ObjectFieldSelector = apiVersion fieldPath
ResourceFieldSelector = containerName resource divisor
KeySelector = name key optional
EnvFromSource = prefix configMapRef:EnvSourceRef secretRef:EnvSourceRef
EnvSourceRef = name optional
ResourceRequirements = limits requests claims:[ResourceClaim]
ResourceClaim = name request
ContainerResizePolicy = resourceName restartPolicy
VolumeMount = name readOnly recursiveReadOnly mountPath subPath mountPropagation subPathExpr
VolumeDevice = name devicePath
Probe = exec:ExecAction httpGet:HTTPGetAction tcpSocket:TCPSocketAction grpc:GRPCAction initialDelaySeconds timeoutSeconds periodSeconds successThreshold failureThreshold terminationGracePeriodSeconds
ExecAction = command
HTTPGetAction = path port host scheme httpHeaders:[HTTPHeader]
HTTPHeader = name value
TCPSocketAction = port host
GRPCAction = port service
Lifecycle = postStart:LifecycleHandler preStop:LifecycleHandler
LifecycleHandler = exec:ExecAction httpGet:HTTPGetAction tcpSocket:TCPSocketAction sleep:SleepAction
SleepAction = seconds
SecurityContext = capabilities:Capabilities privileged seLinuxOptions:SELinuxOptions windowsOptions:WindowsOptions runAsUser runAsGroup runAsNonRoot readOnlyRootFilesystem allowPrivilegeEscalation procMount seccompProfile:SeccompProfile appArmorProfile:SeccompProfile
Capabilities = add drop
SELinuxOptions = user role type level
WindowsOptions = gmsaCredentialSpecName gmsaCredentialSpec runAsUserName hostProcess
SeccompProfile = type localhostProfile
PodSecurityContext = seLinuxOptions:SELinuxOptions windowsOptions:WindowsOptions runAsUser runAsGroup runAsNonRoot supplementalGroups supplementalGroupsPolicy fsGroup sysctls:[Sysctl] fsGroupChangePolicy seccompProfile:SeccompProfile appArmorProfile:SeccompProfile seLinuxChangePolicy
Sysctl = name value
Affinity = nodeAffinity:NodeAffinity podAffinity:PodAffinity podAntiAffinity:PodAffinity
NodeAffinity = requiredDuringSchedulingIgnoredDuringExecution:NodeSelector preferredDuringSchedulingIgnoredDuringExecution:[PreferredSchedulingTerm]
NodeSelector = nodeSelectorTerms:[NodeSelectorTerm]
NodeSelectorTerm = matchExpressions:[LabelSelectorRequirement] matchFields:[LabelSelectorRequirement]
PreferredSchedulingTerm = weight preference:NodeSelectorTerm
PodAffinity = requiredDuringSchedulingIgnoredDuringExecution:[PodAffinityTerm] preferredDuringSchedulingIgnoredDuringExecution:[WeightedPodAffinityTerm]
PodAffinityTerm = labelSelector:LabelSelector namespaces topologyKey namespaceSelector:LabelSelector matchLabelKeys mismatchLabelKeys
WeightedPodAffinityTerm = weight podAffinityTerm:PodAffinityTerm
Toleration = key operator value effect tolerationSeconds
HostAlias = ip hostnames
PodDNSConfig = nameservers searches options:[PodDNSConfigOption]
PodDNSConfigOption = name value
PodReadinessGate = conditionType
TopologySpreadConstraint = maxSkew topologyKey whenUnsatisfiable labelSelector:LabelSelector minDomains nodeAffinityPolicy nodeTaintsPolicy matchLabelKeys
PodOS = name
PodSchedulingGate = name
PodResourceClaim = name resourceClaimName resourceClaimTemplateName
Volume = name hostPath:HostPathVolumeSource emptyDir:EmptyDirVolumeSource secret:SecretVolumeSource configMap:ConfigMapVolumeSource persistentVolumeClaim:PVCVolumeSource projected:ProjectedVolumeSource downwardAPI:DownwardAPIVolumeSource csi:CSIVolumeSource ephemeral:EphemeralVolumeSource nfs:NFSVolumeSource image:ImageVolumeSource gcePersistentDisk awsElasticBlockStore gitRepo iscsi glusterfs rbd flexVolume cinder cephfs flocker fc azureFile vsphereVolume quobyte azureDisk photonPersistentDisk portworxVolume scaleIO storageos
HostPathVolumeSource = path type
EmptyDirVolumeSource = medium sizeLimit
SecretVolumeSource = secretName items:[KeyToPath] defaultMode optional
ConfigMapVolumeSource = name items:[KeyToPath] defaultMode optional
KeyToPath = key path mode
PVCVolumeSource = claimName readOnly
ProjectedVolumeSource = sources:[VolumeProjection] defaultMode
VolumeProjection = secret:ProjectionSource configMap:ProjectionSource downwardAPI:DownwardAPIProjection serviceAccountToken:ServiceAccountTokenProjection clusterTrustBundle
ProjectionSource = name items:[KeyToPath] optional
DownwardAPIProjection = items:[DownwardAPIVolumeFile]
ServiceAccountTokenProjection = audience expirationSeconds path
DownwardAPIVolumeSource = items:[DownwardAPIVolumeFile] defaultMode
DownwardAPIVolumeFile = path fieldRef:ObjectFieldSelector resourceFieldRef:ResourceFieldSelector mode
CSIVolumeSource = driver readOnly fsType volumeAttributes nodePublishSecretRef:LocalObjectReference
EphemeralVolumeSource = volumeClaimTemplate:PersistentVolumeClaimTemplate
PersistentVolumeClaimTemplate = metadata:ObjectMeta spec:PersistentVolumeClaimSpec
NFSVolumeSource = server path readOnly
ImageVolumeSource = reference pullPolicy
PersistentVolumeClaimSpec = accessModes selector:LabelSelector resources:VolumeResourceRequirements volumeName storageClassName volumeMode dataSource:TypedLocalObjectReference dataSourceRef:TypedObjectReference volumeAttributesClassName
VolumeResourceRequirements = limits requests
PersistentVolumeClaim = apiVersion kind metadata:ObjectMeta spec:PersistentVolumeClaimSpec status
Pod = apiVersion kind metadata:ObjectMeta spec:PodSpec status
PodTemplate = apiVersion kind metadata:ObjectMeta template:PodTemplateSpec
Service = apiVersion kind metadata:ObjectMeta spec:ServiceSpec status
ServiceSpec = ports:[ServicePort] selector clusterIP clusterIPs type externalIPs sessionAffinity loadBalancerIP loadBalancerSourceRanges externalName externalTrafficPolicy healthCheckNodePort publishNotReadyAddresses sessionAffinityConfig:SessionAffinityConfig ipFamilies ipFamilyPolicy allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution
SessionAffinityConfig = clientIP:ClientIPConfig
ClientIPConfig = timeoutSeconds
ServicePort = name protocol appProtocol port targetPort nodePort
ConfigMap = apiVersion kind metadata:ObjectMeta data binaryData immutable
Secret = apiVersion kind metadata:ObjectMeta data stringData type immutable
ServiceAccount = apiVersion kind metadata:ObjectMeta secrets:[ObjectReference] imagePullSecrets:[LocalObjectReference] automountServiceAccountToken
ObjectReference = kind namespace name uid apiVersion resourceVersion fieldPath
Namespace = apiVersion kind metadata:ObjectMeta spec:NamespaceSpec status
NamespaceSpec = finalizers
Deployment = apiVersion kind metadata:ObjectMeta spec:DeploymentSpec status
DeploymentSpec = replicas selector:LabelSelector template:PodTemplateSpec strategy:DeploymentStrategy minReadySeconds revisionHistoryLimit paused progressDeadlineSeconds
DeploymentStrategy = type rollingUpdate:RollingUpdateDeployment
RollingUpdateDeployment = maxUnavailable maxSurge
StatefulSet = apiVersion kind metadata:ObjectMeta spec:StatefulSetSpec status
StatefulSetSpec = replicas selector:LabelSelector template:PodTemplateSpec volumeClaimTemplates:[PersistentVolumeClaim] serviceName podManagementPolicy updateStrategy:StatefulSetUpdateStrategy revisionHistoryLimit minReadySeconds persistentVolumeClaimRetentionPolicy:PVCRetentionPolicy ordinals:StatefulSetOrdinals
StatefulSetUpdateStrategy = type rollingUpdate:RollingUpdateStatefulSetStrategy
RollingUpdateStatefulSetStrategy = partition maxUnavailable
PVCRetentionPolicy = whenDeleted whenScaled
StatefulSetOrdinals = start
DaemonSet = apiVersion kind metadata:ObjectMeta spec:DaemonSetSpec status
DaemonSetSpec = selector:LabelSelector template:PodTemplateSpec updateStrategy:DaemonSetUpdateStrategy minReadySeconds revisionHistoryLimit
DaemonSetUpdateStrategy = type rollingUpdate:RollingUpdateDeployment
ReplicaSet = apiVersion kind metadata:ObjectMeta spec:ReplicaSetSpec status
ReplicaSetSpec = replicas minReadySeconds selector:LabelSelector template:PodTemplateSpec
Job = apiVersion kind metadata:ObjectMeta spec:JobSpec status
JobSpec = parallelism completions activeDeadlineSeconds podFailurePolicy:PodFailurePolicy successPolicy:SuccessPolicy backoffLimit backoffLimitPerIndex maxFailedIndexes selector:LabelSelector manualSelector template:PodTemplateSpec ttlSecondsAfterFinished completionMode suspend podReplacementPolicy managedBy
PodFailurePolicy = rules:[PodFailurePolicyRule]
PodFailurePolicyRule = action onExitCodes:PodFailurePolicyOnExitCodes onPodConditions:[PodFailurePolicyOnPodCondition]
PodFailurePolicyOnExitCodes = containerName operator values
PodFailurePolicyOnPodCondition = type status
SuccessPolicy = rules:[SuccessPolicyRule]
SuccessPolicyRule = succeededIndexes succeededCount
CronJob = apiVersion kind metadata:ObjectMeta spec:CronJobSpec status
CronJobSpec = schedule timeZone startingDeadlineSeconds concurrencyPolicy suspend jobTemplate:JobTemplateSpec successfulJobsHistoryLimit failedJobsHistoryLimit
JobTemplateSpec = metadata:ObjectMeta spec:JobSpec
PolicyRule = verbs apiGroups resources resourceNames nonResourceURLs
Role = apiVersion kind metadata:ObjectMeta rules:[PolicyRule]
ClusterRole = apiVersion kind metadata:ObjectMeta rules:[PolicyRule] aggregationRule:AggregationRule
AggregationRule = clusterRoleSelectors:[LabelSelector]
Subject = kind apiGroup name namespace
RoleRef = apiGroup kind name
RoleBinding = apiVersion kind metadata:ObjectMeta subjects:[Subject] roleRef:RoleRef
Ingress = apiVersion kind metadata:ObjectMeta spec:IngressSpec status
IngressSpec = ingressClassName defaultBackend:IngressBackend tls:[IngressTLS] rules:[IngressRule]
IngressTLS = hosts secretName
IngressRule = host http:HTTPIngressRuleValue
HTTPIngressRuleValue = paths:[HTTPIngressPath]
HTTPIngressPath = path pathType backend:IngressBackend
IngressBackend = service:IngressServiceBackend resource:TypedLocalObjectReference
IngressServiceBackend = name port:ServiceBackendPort
ServiceBackendPort = name number
NetworkPolicy = apiVersion kind metadata:ObjectMeta spec:NetworkPolicySpec
NetworkPolicySpec = podSelector:LabelSelector ingress:[NetworkPolicyIngressRule] egress:[NetworkPolicyEgressRule] policyTypes
NetworkPolicyIngressRule = ports:[NetworkPolicyPort] from:[NetworkPolicyPeer]
NetworkPolicyEgressRule = ports:[NetworkPolicyPort] to:[NetworkPolicyPeer]
NetworkPolicyPort = protocol port endPort
NetworkPolicyPeer = podSelector:LabelSelector namespaceSelector:LabelSelector ipBlock:IPBlock
IPBlock = cidr except
HorizontalPodAutoscalerV2 = apiVersion kind metadata:ObjectMeta spec:HPASpecV2 status
HPASpecV2 = scaleTargetRef:CrossVersionObjectReference minReplicas maxReplicas metrics:[MetricSpec] behavior:HPABehavior
CrossVersionObjectReference = kind name apiVersion
MetricSpec = type object:ObjectMetricSource pods:PodsMetricSource resource:ResourceMetricSource containerResource:ContainerResourceMetricSource external:ExternalMetricSource
ObjectMetricSource = describedObject:CrossVersionObjectReference target:MetricTarget metric:MetricIdentifier
PodsMetricSource = metric:MetricIdentifier target:MetricTarget
ResourceMetricSource = name target:MetricTarget
ContainerResourceMetricSource = name target:MetricTarget container
ExternalMetricSource = metric:MetricIdentifier target:MetricTarget
MetricIdentifier = name selector:LabelSelector
MetricTarget = type value averageValue averageUtilization
HPABehavior = scaleUp:HPAScalingRules scaleDown:HPAScalingRules
HPAScalingRules = stabilizationWindowSeconds selectPolicy policies:[HPAScalingPolicy]
HPAScalingPolicy = type value periodSeconds
HorizontalPodAutoscalerV1 = apiVersion kind metadata:ObjectMeta spec:HPASpecV1 status
HPASpecV1 = scaleTargetRef:CrossVersionObjectReference minReplicas maxReplicas targetCPUUtilizationPercentage
PodDisruptionBudget = apiVersion kind metadata:ObjectMeta spec:PDBSpec status
PDBSpec = minAvailable selector:LabelSelector maxUnavailable unhealthyPodEvictionPolicy
ValidatingWebhookConfiguration = apiVersion kind metadata:ObjectMeta webhooks:[ValidatingWebhook]
MutatingWebhookConfiguration = apiVersion kind metadata:ObjectMeta webhooks:[MutatingWebhook]
ValidatingWebhook = name clientConfig:WebhookClientConfig rules:[RuleWithOperations] failurePolicy matchPolicy namespaceSelector:LabelSelector objectSelector:LabelSelector sideEffects timeoutSeconds admissionReviewVersions matchConditions:[MatchCondition]
MutatingWebhook = name clientConfig:WebhookClientConfig rules:[RuleWithOperations] failurePolicy matchPolicy namespaceSelector:LabelSelector objectSelector:LabelSelector sideEffects timeoutSeconds admissionReviewVersions reinvocationPolicy matchConditions:[MatchCondition]
WebhookClientConfig = url service:ServiceReference caBundle
ServiceReference = namespace name path port
RuleWithOperations = operations apiGroups apiVersions resources scope
MatchCondition = name expression
)";

// group/version Kind -> top-level struct.
const char kKinds[] = R"(
v1 Pod Pod
v1 PodTemplate PodTemplate
v1 Service Service
v1 ConfigMap ConfigMap
v1 Secret Secret
v1 ServiceAccount ServiceAccount
v1 PersistentVolumeClaim PersistentVolumeClaim
v1 Namespace Namespace
apps/v1 Deployment Deployment
apps/v1 StatefulSet StatefulSet
apps/v1 DaemonSet DaemonSet
apps/v1 ReplicaSet ReplicaSet
batch/v1 Job Job
batch/v1 CronJob CronJob
rbac.authorization.k8s.io/v1 Role Role
rbac.authorization.k8s.io/v1 ClusterRole ClusterRole
rbac.authorization.k8s.io/v1 RoleBinding RoleBinding
rbac.authorization.k8s.io/v1 ClusterRoleBinding RoleBinding
networking.k8s.io/v1 Ingress Ingress
networking.k8s.io/v1 NetworkPolicy NetworkPolicy
autoscaling/v2 HorizontalPodAutoscaler HorizontalPodAutoscalerV2
autoscaling/v1 HorizontalPodAutoscaler HorizontalPodAutoscalerV1
policy/v1 PodDisruptionBudget PodDisruptionBudget
admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration ValidatingWebhookConfiguration
admissionregistration.k8s.io/v1 MutatingWebhookConfiguration MutatingWebhookConfiguration
)";

struct Table {
  std::map<std::string, std::unique_ptr<SchemaStruct>> structs;
  std::map<std::string, const SchemaStruct*> kinds;  // "apps/v1 Deployment"

  SchemaStruct* Struct(const std::string& name) {
    auto& slot = structs[name];
    if (!slot) {
      slot = std::make_unique<SchemaStruct>();
      slot->name = name;
    }
    return slot.get();
  }

  Table() {
    std::istringstream lines(kTypes);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string name, eq;
      if (!(words >> name >> eq)) continue;
      SchemaStruct* s = Struct(name);
      for (std::string field; words >> field;) {
        size_t colon = field.find(':');
        SchemaField f;
        if (colon != std::string::npos) {
          std::string type = field.substr(colon + 1);
          field = field.substr(0, colon);
          f.kind = SchemaField::Kind::kStruct;
          if (type.front() == '[' || type.front() == '{') {
            f.kind = type.front() == '[' ? SchemaField::Kind::kList : SchemaField::Kind::kMap;
            type = type.substr(1, type.size() - 2);
          }
          f.type = Struct(type);
        }
        s->fields[field] = f;
      }
    }
    std::istringstream kinds(kKinds);
    for (std::string line; std::getline(kinds, line);) {
      std::istringstream words(line);
      std::string gv, kind, type;
      if (words >> gv >> kind >> type) this->kinds[gv + " " + kind] = Struct(type);
    }
  }
};

}  // namespace

const SchemaStruct* BuiltinSchemaFor(const std::string& group, const std::string& version,
                                     const std::string& kind) {
  static const Table* table = new Table();
  auto it = table->kinds.find((group.empty() ? version : group + "/" + version) + " " + kind);
  return it == table->kinds.end() ? nullptr : it->second;
}

}  // namespace mlgitops::kubesim
