// The fields of the built-in kinds kubesim checks for unknown fields (fieldValidation): a
// compact table of struct types, field by field, following the v1.32 API reference.
#pragma once

#include <map>
#include <string>

namespace mlgitops::kubesim {

struct SchemaStruct;

/// What a field holds: a value not looked into (scalars, string maps, free-form objects), one
/// struct, a list of structs or a map of structs.
struct SchemaField {
  enum class Kind { kLeaf, kStruct, kList, kMap };
  Kind kind = Kind::kLeaf;
  const SchemaStruct* type = nullptr;
};

struct SchemaStruct {
  std::string name;
  std::map<std::string, SchemaField> fields;
};

/// The top-level struct of group/version kind, or nullptr for kinds the table does not cover
/// (their fields are not checked).
const SchemaStruct* BuiltinSchemaFor(const std::string& group, const std::string& version,
                                     const std::string& kind);

}  // namespace mlgitops::kubesim
