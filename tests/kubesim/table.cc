// Column definitions and cell values per kind.
#include "kubesim/table.h"

#include <functional>

#include "kubesim/json_util.h"
#include "kubesim/jsonpath.h"
#include "object/timeutil.h"

namespace mlgitops::kubesim {

namespace {

using Cell = std::function<std::string(const JsonValue& object, int64_t now)>;

struct Column {
  std::string name;
  std::string type;  // string, integer, date, ...
  std::string format;
  int priority = 0;
  std::string description;
  Cell cell;
};

std::string S(const std::string& s) { return Quote(s); }
std::string N(int64_t n) { return std::to_string(n); }
int64_t IntAt(const JsonValue& o, const char* path) { return GetInt(o, path).value_or(0); }
std::string Or(const std::string& s, const char* fallback) { return s.empty() ? fallback : s; }

std::string Age(const JsonValue& o, int64_t now) {
  auto created = ParseRfc3339(GetString(o, "metadata.creationTimestamp"));
  return created ? HumanDuration(now - *created) : "<unknown>";
}

Column NameColumn() {
  return {"Name",
          "string",
          "name",
          0,
          "Name must be unique within a namespace. Is required when creating resources, although "
          "some resources may allow a client to request the generation of an appropriate name "
          "automatically. Name is primarily intended for creation idempotence and configuration "
          "definition. Cannot be updated. More info: "
          "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
          [](const JsonValue& o, int64_t) { return S(GetString(o, "metadata.name")); }};
}

Column AgeColumn() {
  return {"Age",
          "string",
          "",
          0,
          "CreationTimestamp is a timestamp representing the server time when this object was "
          "created.",
          [](const JsonValue& o, int64_t now) { return S(Age(o, now)); }};
}

Column Text(const char* name, const char* path, const char* fallback = "", int priority = 0) {
  std::string p = path;
  std::string f = fallback;
  return {name, "string",
          "",   priority,
          "",   [p, f](const JsonValue& o, int64_t) { return S(Or(GetString(o, p), f.c_str())); }};
}

Column Integer(const char* name, const char* path) {
  std::string p = path;
  return {name, "integer",
          "",   0,
          "",   [p](const JsonValue& o, int64_t) { return N(GetInt(o, p).value_or(0)); }};
}

Column Custom(const char* name, const char* type, Cell cell, int priority = 0) {
  return {name, type, "", priority, "", std::move(cell)};
}

size_t ArraySize(const JsonValue& o, const char* path) {
  const JsonValue* v = Find(o, path);
  return v && v->IsArray() ? v->Size() : 0;
}

size_t MapSize(const JsonValue& o, const char* path) {
  const JsonValue* v = Find(o, path);
  return v && v->IsObject() ? v->MemberCount() : 0;
}

std::string PodStatus(const JsonValue& o) {
  if (Find(o, "metadata.deletionTimestamp")) return "Terminating";
  std::string reason = GetString(o, "status.reason");
  if (const JsonValue* statuses = Find(o, "status.containerStatuses");
      statuses && statuses->IsArray()) {
    for (const auto& cs : statuses->GetArray()) {
      std::string waiting = GetString(cs, "state.waiting.reason");
      if (!waiting.empty()) return waiting;
      std::string terminated = GetString(cs, "state.terminated.reason");
      if (!terminated.empty() && GetString(o, "status.phase") != "Succeeded") reason = terminated;
    }
  }
  if (!reason.empty()) return reason;
  std::string phase = GetString(o, "status.phase");
  if (phase == "Succeeded") return "Completed";
  return Or(phase, "Pending");
}

std::string PodReady(const JsonValue& o) {
  size_t total = ArraySize(o, "spec.containers");
  size_t ready = 0;
  if (const JsonValue* statuses = Find(o, "status.containerStatuses");
      statuses && statuses->IsArray()) {
    for (const auto& cs : statuses->GetArray()) ready += GetBool(cs, "ready").value_or(false);
  }
  return std::to_string(ready) + "/" + std::to_string(total);
}

int64_t PodRestarts(const JsonValue& o) {
  int64_t restarts = 0;
  if (const JsonValue* statuses = Find(o, "status.containerStatuses");
      statuses && statuses->IsArray()) {
    for (const auto& cs : statuses->GetArray()) restarts += GetInt(cs, "restartCount").value_or(0);
  }
  return restarts;
}

std::string ServicePorts(const JsonValue& o) {
  std::string out;
  const JsonValue* ports = Find(o, "spec.ports");
  if (!ports || !ports->IsArray()) return "<none>";
  for (const auto& p : ports->GetArray()) {
    if (!out.empty()) out += ',';
    out += std::to_string(GetInt(p, "port").value_or(0));
    if (auto node_port = GetInt(p, "nodePort")) out += ":" + std::to_string(*node_port);
    out += "/" + GetString(p, "protocol", "TCP");
  }
  return Or(out, "<none>");
}

std::string JobStatus(const JsonValue& o) {
  auto is_true = [&](const char* type) {
    const JsonValue* c = FindCondition(o, type);
    return c && MemberString(*c, "status") == "True";
  };
  if (is_true("Complete")) return "Complete";
  if (is_true("Failed")) return "Failed";
  if (is_true("FailureTarget")) return "FailureTarget";
  if (is_true("SuccessCriteriaMet")) return "SuccessCriteriaMet";
  if (GetBool(o, "spec.suspend").value_or(false)) return "Suspended";
  return "Running";
}

std::string JobDuration(const JsonValue& o, int64_t now) {
  auto start = ParseRfc3339(GetString(o, "status.startTime"));
  if (!start) return "";
  auto end = ParseRfc3339(GetString(o, "status.completionTime"));
  return HumanDuration((end ? *end : now) - *start);
}

std::string Containers(const JsonValue& o, const char* path, const char* field) {
  std::string out;
  const JsonValue* list = Find(o, path);
  if (!list || !list->IsArray()) return "";
  for (const auto& c : list->GetArray()) {
    if (!out.empty()) out += ',';
    out += GetString(c, field);
  }
  return out;
}

std::string MatchLabels(const JsonValue& o, const char* path) {
  std::string out;
  const JsonValue* labels = Find(o, path);
  if (!labels || !labels->IsObject()) return "<none>";
  for (const auto& m : labels->GetObject()) {
    if (!out.empty()) out += ',';
    out += std::string(View(m.name)) + "=" + std::string(View(m.value));
  }
  return Or(out, "<none>");
}

std::string AccessModes(const JsonValue& o) {
  std::string out;
  const JsonValue* modes = Find(o, "status.accessModes");
  if (!modes || !modes->IsArray()) return "";
  for (const auto& m : modes->GetArray()) {
    std::string mode(View(m));
    std::string abbrev = mode == "ReadWriteOnce"      ? "RWO"
                         : mode == "ReadOnlyMany"     ? "ROX"
                         : mode == "ReadWriteMany"    ? "RWX"
                         : mode == "ReadWriteOncePod" ? "RWOP"
                                                      : mode;
    if (!out.empty()) out += ',';
    out += abbrev;
  }
  return out;
}

std::vector<Column> BuiltinColumns(const ResourceType& t) {
  const std::string& k = t.kind;
  if (k == "Namespace") return {NameColumn(), Text("Status", "status.phase"), AgeColumn()};
  if (k == "Pod") {
    return {NameColumn(),
            Custom("Ready", "string", [](const JsonValue& o, int64_t) { return S(PodReady(o)); }),
            Custom("Status", "string", [](const JsonValue& o, int64_t) { return S(PodStatus(o)); }),
            Custom("Restarts", "string",
                   [](const JsonValue& o, int64_t) { return S(std::to_string(PodRestarts(o))); }),
            AgeColumn(),
            Text("IP", "status.podIP", "<none>", 1),
            Text("Node", "spec.nodeName", "<none>", 1)};
  }
  if (k == "Deployment") {
    return {NameColumn(),
            Custom("Ready", "string",
                   [](const JsonValue& o, int64_t) {
                     return S(N(IntAt(o, "status.readyReplicas")) + "/" +
                              N(GetInt(o, "spec.replicas").value_or(1)));
                   }),
            Integer("Up-to-date", "status.updatedReplicas"),
            Integer("Available", "status.availableReplicas"),
            AgeColumn(),
            Custom(
                "Containers", "string",
                [](const JsonValue& o, int64_t) {
                  return S(Containers(o, "spec.template.spec.containers", "name"));
                },
                1),
            Custom(
                "Images", "string",
                [](const JsonValue& o, int64_t) {
                  return S(Containers(o, "spec.template.spec.containers", "image"));
                },
                1),
            Custom(
                "Selector", "string",
                [](const JsonValue& o, int64_t) {
                  return S(MatchLabels(o, "spec.selector.matchLabels"));
                },
                1)};
  }
  if (k == "StatefulSet") {
    return {NameColumn(),
            Custom("Ready", "string",
                   [](const JsonValue& o, int64_t) {
                     return S(N(IntAt(o, "status.readyReplicas")) + "/" +
                              N(GetInt(o, "spec.replicas").value_or(1)));
                   }),
            AgeColumn()};
  }
  if (k == "ReplicaSet") {
    return {NameColumn(), Integer("Desired", "spec.replicas"),
            Integer("Current", "status.replicas"), Integer("Ready", "status.readyReplicas"),
            AgeColumn()};
  }
  if (k == "DaemonSet") {
    return {NameColumn(),
            Integer("Desired", "status.desiredNumberScheduled"),
            Integer("Current", "status.currentNumberScheduled"),
            Integer("Ready", "status.numberReady"),
            Integer("Up-to-date", "status.updatedNumberScheduled"),
            Integer("Available", "status.numberAvailable"),
            Custom("Node Selector", "string",
                   [](const JsonValue& o, int64_t) {
                     return S(MatchLabels(o, "spec.template.spec.nodeSelector"));
                   }),
            AgeColumn()};
  }
  if (k == "Job") {
    return {NameColumn(),
            Custom("Status", "string", [](const JsonValue& o, int64_t) { return S(JobStatus(o)); }),
            Custom("Completions", "string",
                   [](const JsonValue& o, int64_t) {
                     return S(N(IntAt(o, "status.succeeded")) + "/" +
                              N(GetInt(o, "spec.completions").value_or(1)));
                   }),
            Custom("Duration", "string",
                   [](const JsonValue& o, int64_t now) { return S(JobDuration(o, now)); }),
            AgeColumn()};
  }
  if (k == "CronJob") {
    return {
        NameColumn(),
        Text("Schedule", "spec.schedule"),
        Text("Timezone", "spec.timeZone", "<none>"),
        Custom("Suspend", "boolean",
               [](const JsonValue& o, int64_t) {
                 return std::string(GetBool(o, "spec.suspend").value_or(false) ? "true" : "false");
               }),
        Custom("Active", "integer",
               [](const JsonValue& o, int64_t) { return N(ArraySize(o, "status.active")); }),
        Custom("Last Schedule", "string",
               [](const JsonValue& o, int64_t now) {
                 auto t = ParseRfc3339(GetString(o, "status.lastScheduleTime"));
                 return S(t ? HumanDuration(now - *t) : "<none>");
               }),
        AgeColumn()};
  }
  if (k == "Service") {
    return {
        NameColumn(),
        Text("Type", "spec.type", "ClusterIP"),
        Text("Cluster-IP", "spec.clusterIP", "<none>"),
        Custom("External-IP", "string",
               [](const JsonValue& o, int64_t) {
                 std::string ip = GetString(o, "status.loadBalancer.ingress");
                 if (GetString(o, "spec.type") == "LoadBalancer" && ip.empty())
                   return S("<pending>");
                 return S("<none>");
               }),
        Custom("Port(s)", "string", [](const JsonValue& o, int64_t) { return S(ServicePorts(o)); }),
        AgeColumn(),
        Custom(
            "Selector", "string",
            [](const JsonValue& o, int64_t) { return S(MatchLabels(o, "spec.selector")); }, 1)};
  }
  if (k == "ConfigMap") {
    return {NameColumn(),
            Custom("Data", "integer",
                   [](const JsonValue& o, int64_t) {
                     return N(MapSize(o, "data") + MapSize(o, "binaryData"));
                   }),
            AgeColumn()};
  }
  if (k == "Secret") {
    return {NameColumn(), Text("Type", "type"),
            Custom("Data", "integer",
                   [](const JsonValue& o, int64_t) { return N(MapSize(o, "data")); }),
            AgeColumn()};
  }
  if (k == "PersistentVolumeClaim") {
    return {NameColumn(),
            Text("Status", "status.phase"),
            Text("Volume", "spec.volumeName"),
            Text("Capacity", "status.capacity.storage"),
            Custom("Access Modes", "string",
                   [](const JsonValue& o, int64_t) { return S(AccessModes(o)); }),
            Text("StorageClass", "spec.storageClassName", "<unset>"),
            Text("VolumeAttributesClass", "spec.volumeAttributesClassName", "<unset>"),
            AgeColumn()};
  }
  if (k == "CustomResourceDefinition") {
    return {NameColumn(), Custom("Created At", "date", [](const JsonValue& o, int64_t) {
              return S(GetString(o, "metadata.creationTimestamp"));
            })};
  }
  return {NameColumn(), AgeColumn()};
}

std::vector<Column> CustomColumns(const ResourceType& t) {
  std::vector<Column> columns{NameColumn()};
  for (const PrinterColumn& pc : t.printer_columns) {
    std::string path = pc.json_path;
    std::string type = pc.type;
    columns.push_back({pc.name, type, "", pc.priority, pc.description,
                       [path, type](const JsonValue& o, int64_t now) {
                         std::string value = EvaluateJsonPath(o, path);
                         if (type == "date") {
                           auto t = ParseRfc3339(value);
                           return S(t ? HumanDuration(now - *t) : "<unknown>");
                         }
                         if ((type == "integer" || type == "number") && !value.empty() &&
                             value.find_first_not_of("0123456789.-") == std::string::npos) {
                           return value;
                         }
                         if (type == "boolean" && (value == "true" || value == "false"))
                           return value;
                         return S(value.empty() && type == "string" ? "" : value);
                       }});
  }
  if (t.printer_columns.empty()) columns.push_back(AgeColumn());
  return columns;
}

std::string RowObject(const JsonValue& object, const std::string& include) {
  if (include == "None") return "";
  if (include == "Object") return ToJson(object);
  return PartialObjectMetadata(object);
}

}  // namespace

bool WantsTable(const std::string& accept) {
  return accept.find("as=Table") != std::string::npos &&
         accept.find("g=meta.k8s.io") != std::string::npos;
}

bool WantsPartialMetadata(const std::string& accept) {
  return accept.find("as=PartialObjectMetadata") != std::string::npos &&
         accept.find("g=meta.k8s.io") != std::string::npos;
}

std::string PartialObjectMetadata(const JsonValue& object) {
  std::string out = R"({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":)";
  const JsonValue* meta = FindMember(object, "metadata");
  out += meta ? ToJson(*meta) : "{}";
  return out + "}";
}

std::string HumanDuration(int64_t seconds) {
  auto f = [](int64_t a, const char* ua, int64_t b, const char* ub) {
    std::string out = std::to_string(a) + ua;
    if (b != 0) out += std::to_string(b) + ub;
    return out;
  };
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return std::to_string(seconds) + "s";
  int64_t minutes = seconds / 60;
  if (minutes < 10) return f(minutes, "m", seconds % 60, "s");
  if (minutes < 180) return std::to_string(minutes) + "m";
  int64_t hours = minutes / 60;
  if (hours < 8) return f(hours, "h", minutes % 60, "m");
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) return f(hours / 24, "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) return f(hours / 24 / 365, "y", (hours / 24) % 365, "d");
  return std::to_string(hours / 24 / 365) + "y";
}

std::string RenderTable(const ResourceType& type, const std::vector<ObjectPtr>& objects,
                        const TableOptions& options) {
  std::vector<Column> columns = type.crd_name.empty() ? BuiltinColumns(type) : CustomColumns(type);
  std::string out = R"({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{)";
  bool first_meta = true;
  auto meta_field = [&](const std::string& text) {
    if (!first_meta) out += ',';
    first_meta = false;
    out += text;
  };
  if (!options.resource_version.empty()) {
    meta_field("\"resourceVersion\":" + Quote(options.resource_version));
  }
  if (!options.continue_token.empty()) meta_field("\"continue\":" + Quote(options.continue_token));
  if (options.remaining >= 0)
    meta_field("\"remainingItemCount\":" + std::to_string(options.remaining));
  out += "},\"columnDefinitions\":[";
  if (options.with_columns) {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i) out += ',';
      out += "{\"name\":" + Quote(columns[i].name) + ",\"type\":" + Quote(columns[i].type) +
             ",\"format\":" + Quote(columns[i].format) +
             ",\"description\":" + Quote(columns[i].description) +
             ",\"priority\":" + std::to_string(columns[i].priority) + "}";
    }
  }
  out += "],\"rows\":[";
  for (size_t r = 0; r < objects.size(); ++r) {
    const JsonValue& o = objects[r]->json();
    if (r) out += ',';
    out += "{\"cells\":[";
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i) out += ',';
      out += columns[i].cell(o, options.now);
    }
    out += ']';
    std::string row_object = RowObject(o, options.include_object);
    if (!row_object.empty()) out += ",\"object\":" + row_object;
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace mlgitops::kubesim
