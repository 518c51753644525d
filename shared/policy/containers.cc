// Finding containers in pod templates at any depth of an object's spec.
#include "policy/containers.h"

#include <string_view>

namespace mlgitops {

namespace {

// Deeper than any real pod template nesting; a guard against pathological documents.
constexpr int kMaxDepth = 64;

bool IsContainerList(std::string_view member) {
  return member == "containers" || member == "initContainers" || member == "ephemeralContainers" ||
         member == "sidecars";
}

// Argo Workflows templates hold one container under these names.
bool IsSingleContainer(std::string_view member, const JsonValue& value) {
  return (member == "container" || member == "script") && value.IsObject() &&
         Member(&value, "image") != nullptr;
}

class ContainerWalker {
 public:
  explicit ContainerWalker(std::vector<ContainerRef>* out) : out_(out) {}

  void Walk(const JsonValue& node, const std::string& path, int depth) {
    if (depth > kMaxDepth) return;
    if (node.IsArray()) {
      for (rapidjson::SizeType i = 0; i < node.Size(); ++i) {
        Walk(node[i], path + "[" + std::to_string(i) + "]", depth + 1);
      }
      return;
    }
    if (!node.IsObject()) return;
    for (auto it = node.MemberBegin(); it != node.MemberEnd(); ++it) {
      std::string_view member(it->name.GetString(), it->name.GetStringLength());
      std::string child_path = path + "." + std::string(member);
      if (IsContainerList(member) && it->value.IsArray()) {
        AddList(it->value, child_path);
      } else if (IsSingleContainer(member, it->value)) {
        std::string name = MemberString(it->value, "name");
        Add(name.empty() ? MemberString(node, "name") : name, child_path, it->value);
      } else {
        Walk(it->value, child_path, depth + 1);
      }
    }
  }

  void Add(std::string name, std::string path, const JsonValue& container) {
    out_->push_back({std::move(name), std::move(path), Member(&container, "resources")});
  }

 private:
  void AddList(const JsonValue& list, const std::string& path) {
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      if (list[i].IsObject()) {
        Add(MemberString(list[i], "name"), path + "[" + std::to_string(i) + "]", list[i]);
      }
    }
  }

  std::vector<ContainerRef>* out_;
};

// KServe sizes a component's model server through framework specs (model, sklearn, ...).
void AddKServeModelSpecs(const JsonValue& spec, std::vector<ContainerRef>* out) {
  for (const char* component : {"predictor", "transformer", "explainer"}) {
    const JsonValue* section = Member(&spec, component);
    if (!section || !section->IsObject()) continue;
    for (auto it = section->MemberBegin(); it != section->MemberEnd(); ++it) {
      std::string_view member(it->name.GetString(), it->name.GetStringLength());
      if (IsContainerList(member) || !it->value.IsObject()) continue;
      const JsonValue* resources = Member(&it->value, "resources");
      if (!resources) continue;
      out->push_back({std::string(member),
                      "spec." + std::string(component) + "." + std::string(member), resources});
    }
  }
}

}  // namespace

const JsonValue* Member(const JsonValue* object, std::string_view key) {
  if (!object || !object->IsObject()) return nullptr;
  for (auto it = object->MemberBegin(); it != object->MemberEnd(); ++it) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == key) {
      return &it->value;
    }
  }
  return nullptr;
}

std::vector<ContainerRef> FindContainers(const Object& obj) {
  std::vector<ContainerRef> found;
  const JsonValue* spec = Member(&obj.json(), "spec");
  if (!spec) return found;
  ContainerWalker(&found).Walk(*spec, "spec", 0);
  std::string group = obj.group();
  std::string kind = obj.kind();
  if (group == "serving.kserve.io" && kind == "InferenceService")
    AddKServeModelSpecs(*spec, &found);
  if (group == "trainer.kubeflow.org" && kind == "TrainJob") {
    if (const JsonValue* per_node = Find(*spec, "trainer.resourcesPerNode")) {
      found.push_back({"trainer", "spec.trainer.resourcesPerNode", per_node});
    }
  }
  return found;
}

}  // namespace mlgitops
