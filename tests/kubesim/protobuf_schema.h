// Field tables for the protobuf messages kubesim can decode (field number -> JSON name, type),
// as declared in the Kubernetes generated.proto files.
#pragma once

#include <string>
#include <vector>

namespace mlgitops::kubesim {

enum class ProtoKind {
  kString,
  kInt,  // int32/int64 varint
  kBool,
  kMessage,      // nested message named by ProtoField::message
  kStringMap,    // map<string,string>
  kBytesMap,     // map<string,bytes>, values base64 in JSON
  kQuantityMap,  // map<string,Quantity>
  kTime,         // metav1.Time {seconds, nanos}
  kIntOrString,  // intstr.IntOrString {type, intVal, strVal}
};

struct ProtoField {
  int number;
  const char* json;
  ProtoKind kind;
  const char* message = nullptr;
  bool repeated = false;
  bool keep_zero = false;  // pointer fields: present on the wire means set, even to 0/false
};

struct ProtoMessage {
  const char* name;
  std::vector<ProtoField> fields;
};

/// The message description named `name`, or nullptr.
const ProtoMessage* FindProtoMessage(const std::string& name);

}  // namespace mlgitops::kubesim
