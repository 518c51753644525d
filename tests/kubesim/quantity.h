// resource.Quantity as kube-apiserver reads and writes it: the accepted syntax, the canonical
// form every stored quantity takes ("1000m" -> "1", "1024Mi" -> "1Gi"), and comparison.
#pragma once

#include <optional>
#include <string>

namespace mlgitops::kubesim {

/// The decode error a malformed quantity produces (the real server's wording).
extern const char* const kQuantityFormatError;
extern const char* const kQuantitySuffixError;

/// A parsed quantity: the value in nano-units (exact for every value the canonical form can
/// print) and the format its suffix chose.
struct Quantity {
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };
  __int128 nanos = 0;
  Format format = Format::kDecimalSI;

  /// resource.Quantity's canonical String().
  std::string Canonical() const;
  int Compare(const Quantity& other) const {
    return nanos < other.nanos ? -1 : nanos > other.nanos ? 1 : 0;
  }
  bool Negative() const { return nanos < 0; }
};

/// Parses "500m", "1.5Gi", "2e3", "+1"; on failure *error is one of the messages above.
std::optional<Quantity> ParseQuantity(const std::string& text, std::string* error);

}  // namespace mlgitops::kubesim
