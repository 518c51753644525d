// Base64 (standard alphabet, padded), as Kubernetes uses it for Secret data, kubeconfig
// certificate data, admission patches and exec credentials. Decoding is strict.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mlgitops {

std::string Base64Encode(std::string_view data);
/// nullopt on a character outside the alphabet, misplaced padding or a bad length. Line breaks
/// are skipped, as Go's decoder does (kubeconfig files sometimes wrap long values).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace mlgitops
