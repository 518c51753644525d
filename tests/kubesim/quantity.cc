// resource.Quantity parsing and canonical form (k8s.io/apimachinery/pkg/api/resource).
#include "kubesim/quantity.h"

#include <cctype>
#include <cstring>

namespace mlgitops::kubesim {

const char* const kQuantityFormatError =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const char* const kQuantitySuffixError = "unable to parse quantity's suffix";

namespace {

constexpr int kMaxDigits = 30;  // beyond this the value cannot be held exactly in nano-units
constexpr __int128 kNano = 1000000000;

__int128 Pow(__int128 base, int exp) {
  __int128 out = 1;
  for (int i = 0; i < exp; ++i) out *= base;
  return out;
}

std::string ToString(__int128 v) {
  if (v == 0) return "0";
  std::string out;
  while (v > 0) {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return out;
}

// The suffix's power of ten (decimal) or of 1024 (binary); false when it is not one.
bool ReadSuffix(const std::string& s, Quantity::Format* format, int* exp10, int* exp1024) {
  static const char* const kDecimal[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  static const char* const kBinary[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  for (int i = 0; i < 10; ++i) {
    if (s == kDecimal[i]) {
      *format = Quantity::Format::kDecimalSI;
      *exp10 = (i - 3) * 3;
      return true;
    }
  }
  for (int i = 0; i < 6; ++i) {
    if (s == kBinary[i]) {
      *format = Quantity::Format::kBinarySI;
      *exp1024 = i + 1;
      return true;
    }
  }
  if (s.size() >= 2 && (s[0] == 'e' || s[0] == 'E')) {
    size_t i = 1;
    bool negative = false;
    if (s[i] == '+' || s[i] == '-') negative = s[i++] == '-';
    if (i >= s.size() || s.size() - i > 3) return false;
    int value = 0;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      value = value * 10 + (s[i] - '0');
    }
    *format = Quantity::Format::kDecimalExponent;
    *exp10 = negative ? -value : value;
    return true;
  }
  return false;
}

}  // namespace

std::optional<Quantity> ParseQuantity(const std::string& text, std::string* error) {
  *error = kQuantityFormatError;
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  std::string digits;
  int fraction_digits = 0;
  bool dot = false;
  for (; i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.');
       ++i) {
    if (text[i] == '.') {
      if (dot) return std::nullopt;
      dot = true;
      continue;
    }
    digits += text[i];
    if (dot) ++fraction_digits;
  }
  if (digits.empty()) return std::nullopt;
  std::string suffix = text.substr(i);
  // The regular expression's suffix part: letters from the set, then an optional signed number.
  size_t j = 0;
  while (j < suffix.size() && std::strchr("eEinumkKMGTP", suffix[j])) ++j;
  if (j < suffix.size() && (suffix[j] == '+' || suffix[j] == '-')) ++j;
  while (j < suffix.size() && std::isdigit(static_cast<unsigned char>(suffix[j]))) ++j;
  if (j != suffix.size()) return std::nullopt;
  Quantity q;
  int exp10 = 0;
  int exp1024 = 0;
  if (!ReadSuffix(suffix, &q.format, &exp10, &exp1024)) {
    *error = kQuantitySuffixError;
    return std::nullopt;
  }
  size_t first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? "0" : digits.substr(first);
  int scale = exp10 - fraction_digits + 9;  // power of ten to multiply the digits by, in nanos
  if (static_cast<int>(digits.size()) + scale + exp1024 * 4 > kMaxDigits + 9) return std::nullopt;
  __int128 n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  if (scale >= 0) {
    n *= Pow(10, scale);
  } else if (-scale > kMaxDigits) {
    n = n == 0 ? 0 : 1;  // below a nano: rounds up to one
  } else {
    __int128 divisor = Pow(10, -scale);
    n = n / divisor + (n % divisor != 0 ? 1 : 0);  // rounds up, as Quantity does below nanos
  }
  n *= Pow(1024, exp1024);
  q.nanos = negative ? -n : n;
  error->clear();
  return q;
}

std::string Quantity::Canonical() const {
  if (nanos == 0) return "0";
  std::string sign = nanos < 0 ? "-" : "";
  __int128 v = nanos < 0 ? -nanos : nanos;
  Format f = format;
  // Binary suffixes only print whole numbers of at least 1024; others fall back to decimal.
  if (f == Format::kBinarySI && (v < 1024 * kNano || v % kNano != 0)) f = Format::kDecimalSI;
  if (f == Format::kBinarySI) {
    static const char* const kSuffix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    __int128 n = v / kNano;
    int k = 0;
    while (k < 6 && n % 1024 == 0) {
      n /= 1024;
      ++k;
    }
    return sign + ToString(n) + kSuffix[k];
  }
  __int128 mantissa = v;
  int exp = -9;
  while (exp < 18 && mantissa % 1000 == 0) {
    mantissa /= 1000;
    exp += 3;
  }
  if (f == Format::kDecimalExponent) {
    return sign + ToString(mantissa) + (exp == 0 ? "" : "e" + std::to_string(exp));
  }
  static const char* const kSuffix[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  return sign + ToString(mantissa) + kSuffix[(exp + 9) / 3];
}

}  // namespace mlgitops::kubesim
