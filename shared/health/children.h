// Finding the objects a parent owns (a Job's Pods, a Deployment's ReplicaSets and Pods, a
// CronWorkflow's Workflows) among a set of objects, to fill HealthContext::children.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
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

/// FindChildren for many parents over one set: `all` is indexed once (owner uids and names,
/// labels, label keys, Pods and ReplicaSets per namespace), so each parent looks only at the
/// objects sharing a key with it instead of scanning the whole set. Assessing every object of
/// a file is then linear in practice rather than quadratic (a selector made only of NotIn or
/// DoesNotExist still looks at every Pod of its namespace). `all` must outlive the index.
class ChildIndex {
 public:
  explicit ChildIndex(const std::vector<Object>& all);
  /// The same answer as FindChildren(parent, all).
  std::vector<const Object*> Children(const Object& parent) const;
  /// Candidates checked against a parent's rules so far: the work Children() has done.
  size_t candidates_examined() const { return examined_; }

 private:
  using Bucket = std::vector<uint32_t>;  // indexes into all_, ascending
  const Bucket& Lookup(const std::unordered_map<std::string, Bucket>& map,
                       const std::string& key) const;
  /// Appends to `out` the candidates that could be `parent`'s direct children.
  void Candidates(const Object& parent, std::vector<uint32_t>* out) const;
  void CollectDirect(const Object& parent, bool pods_only, std::vector<uint32_t>* found) const;

  const std::vector<Object>& all_;
  std::unordered_map<std::string, Bucket> by_owner_uid_;   // ns, ownerReference uid
  std::unordered_map<std::string, Bucket> by_owner_name_;  // ns, ownerReference kind, name
  std::unordered_map<std::string, Bucket> by_label_;       // ns, label key, value
  std::unordered_map<std::string, Bucket> by_label_key_;   // ns, label key
  std::unordered_map<std::string, Bucket> by_kind_;        // ns, Pod or ReplicaSet
  mutable size_t examined_ = 0;
};

}  // namespace mlgitops
