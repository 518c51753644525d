// Finding the objects a parent owns (a Job's Pods, a Deployment's ReplicaSets and Pods, a
// CronWorkflow's Workflows) among a set of objects, to fill HealthContext::children.
#pragma once

#include <vector>

#include "object/object.h"

namespace mlgitops {

/// The objects in `all` owned by `parent`, in `all`'s order, each once. A child must be in the
/// parent's namespace and is found by any of:
///  - an ownerReference to the parent (by uid when both sides have one, else by kind and name);
///  - the labels controllers stamp on what they create: batch.kubernetes.io/job-name, job-name
///    and controller-uid (Job), training.kubeflow.org/job-name (Kubeflow), jobset name
///    (Trainer TrainJob), ray.io/cluster (Ray), volcano.sh/job-name (Volcano),
///    workflows.argoproj.io/cron-workflow (CronWorkflow to Workflow),
///    workflows.argoproj.io/workflow (Workflow to Pod), sparkoperator.k8s.io/app-name (Spark);
///  - the parent's spec.selector (matchLabels and matchExpressions), for Pods and ReplicaSets.
/// The Pods of owned ReplicaSets and Jobs are included too (Deployment -> ReplicaSet -> Pod,
/// CronJob -> Job -> Pod). The parent itself is never its own child.
std::vector<const Object*> FindChildren(const Object& parent, const std::vector<Object>& all);

}  // namespace mlgitops
