// Loading Kubernetes manifests from YAML or JSON text into Objects, with limits.
// Hostile input (huge files, alias bombs, deep nesting) fails fast with a Status naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"
#include "object/status.h"

namespace mlgitops {

struct LoadLimits {
  size_t max_file_bytes = 64u << 20;      // one file or text
  size_t max_document_bytes = 16u << 20;  // one YAML document of a stream
  size_t max_documents = 200000;          // documents in one file
  int max_depth = 256;                    // nesting of maps and lists
  size_t max_alias_nodes = 100000;        // nodes produced by expanding aliases, per file
};

/// How a plain (unquoted) YAML scalar reads, YAML 1.1 as Kubernetes resolves it.
struct PlainScalar {
  enum Type { kString, kNull, kBool, kInt, kFloat } type = kString;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
};
PlainScalar ResolvePlainScalar(const std::string& text);

/// Parses a YAML stream (or JSON text) into one JSON tree per document, in order.
/// Empty documents are skipped. `origin` names the input in errors ("apps/x.yaml").
/// YAML 1.1 scalars as Kubernetes reads them (yes/no/on/off are booleans), merge keys (`<<`),
/// duplicate keys refused.
Result<std::vector<Object>> ParseYamlStream(std::string_view text, const std::string& origin,
                                            const LoadLimits& limits = LoadLimits());

/// As ParseYamlStream, then requires every document to be a Kubernetes object (a map with
/// `apiVersion` and `kind`) and expands `List` kinds into their items.
Result<std::vector<Object>> ParseManifests(std::string_view text, const std::string& origin,
                                           const LoadLimits& limits = LoadLimits());

/// Reads `path` (refusing files over limits.max_file_bytes before reading them) and parses it
/// with ParseManifests. `display_name` replaces the path in origins and errors when not empty.
Result<std::vector<Object>> LoadManifestFile(const std::string& path,
                                             const LoadLimits& limits = LoadLimits(),
                                             const std::string& display_name = "");

/// Reads a whole file with a size cap; errors name `display_name`.
Result<std::string> ReadFileLimited(const std::string& path, size_t max_bytes,
                                    const std::string& display_name);

}  // namespace mlgitops
