// Rules every stored object follows: name validation, system metadata (uid, timestamps,
// generation) and what counts as a spec change. Shared by create, update, patch and apply.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// The name rule a kind follows: most are DNS-1123 subdomains, Namespaces DNS-1123 labels,
/// Services DNS-1035 labels (they become DNS names starting with a letter).
enum class NameRule { kDns1123Subdomain, kDns1123Label, kDns1035Label };

/// Problems with metadata.name under `rule`, worded as the real server words them.
std::vector<StatusCause> ValidateName(const std::string& name, NameRule rule);

/// A random RFC 4122 version-4 UUID.
std::string NewUid();
/// Five random characters from the alphabet generateName uses.
std::string GenerateNameSuffix();
/// "2024-05-01T10:00:00Z" for Unix seconds.
std::string Timestamp(int64_t unix_seconds);

/// True when anything besides metadata and status differs: such changes bump generation.
bool SpecChanged(const JsonValue& before, const JsonValue& after);
/// Deep equality of two objects ignoring metadata.resourceVersion and managedFields times.
bool SameObject(const JsonValue& a, const JsonValue& b);

/// The object's JSON with apiVersion set to `api_version` (objects are stored as written, and
/// served as the version a request names).
std::string RenderAs(const Object& object, const std::string& api_version);

/// Replaces (or removes, when `from` lacks it) member `key` of `to` with a copy of `from`'s.
void CopyMemberFrom(JsonValue& to, const JsonValue& from, const char* key, JsonAllocator& a);

}  // namespace mlgitops::kubesim
