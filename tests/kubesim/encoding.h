// Base64 (standard alphabet) for kubeconfig certificate data and opaque list continue tokens.
// Decoding rejects anything that is not canonical base64.
#pragma once

#include <optional>
#include <string>

namespace mlgitops::kubesim {

std::string Base64Encode(const std::string& data);
/// nullopt on characters outside the alphabet or a bad length.
std::optional<std::string> Base64Decode(const std::string& text);

}  // namespace mlgitops::kubesim
