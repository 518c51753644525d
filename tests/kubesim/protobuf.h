// Decoding of Kubernetes protobuf request bodies ("k8s\0" + runtime.Unknown) into JSON.
// kubectl's typed clients (kubectl create namespace|configmap|secret|deployment|...) send
// protobuf; only the kinds those commands create are described, other kinds are refused so
// the caller answers 415 as a server without protobuf support would.
#pragma once

#include <string>

#include "object/object.h"
#include "object/status.h"

namespace mlgitops::kubesim {

/// The object in a protobuf-encoded request body as JSON; Unsupported for kinds without a
/// schema here, InvalidArgument for malformed input. Unknown fields are skipped.
Result<Object> DecodeKubernetesProtobuf(const std::string& body);

}  // namespace mlgitops::kubesim
