// Secret redaction: plain substring replacement and three small scanners (no regex, so hostile
// text cannot make redaction slow).
#include "sys/redact.h"

#include <algorithm>
#include <cctype>

namespace mlgitops {

namespace {

bool StartsWithNoCase(std::string_view text, size_t at, std::string_view prefix) {
  if (text.size() - at < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[at + i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

bool IsSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

/// Ends an authority: where userinfo can no longer continue.
bool EndsAuthority(char c) {
  return c == '/' || c == '?' || c == '#' || std::isspace(static_cast<unsigned char>(c)) ||
         c == '"' || c == '\'' || c == '<' || c == '>';
}

/// Ends a URL in free text.
bool EndsUrl(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '<' ||
         c == '>';
}

/// Where the scheme of the "://" at `sep` starts, or npos when there is no scheme before it.
size_t SchemeStart(std::string_view text, size_t sep) {
  size_t start = sep;
  while (start > 0 && IsSchemeChar(text[start - 1])) --start;
  if (start == sep || !std::isalpha(static_cast<unsigned char>(text[start]))) {
    return std::string_view::npos;
  }
  return start;
}

/// Length of an "Authorization:" header name at `at` (also `"Authorization": ` as JSON writes
/// it), up to and including the spaces after the colon; 0 when there is none.
size_t AuthorizationHeaderLength(std::string_view text, size_t at, bool* quoted) {
  static constexpr std::string_view kNames[] = {"proxy-authorization", "authorization"};
  for (std::string_view name : kNames) {
    if (!StartsWithNoCase(text, at, name)) continue;
    size_t i = at + name.size();
    if (i < text.size() && text[i] == '"') ++i;
    if (i >= text.size() || text[i] != ':') return 0;
    ++i;
    while (i < text.size() && text[i] == ' ') ++i;
    *quoted = i < text.size() && text[i] == '"';
    return i + (*quoted ? 1 : 0) - at;
  }
  return 0;
}

}  // namespace

std::string Redact(std::string_view text, const std::vector<std::string>& secrets) {
  std::vector<std::string_view> ordered;
  for (const std::string& secret : secrets) {
    if (secret.size() >= kMinSecretLength) ordered.push_back(secret);
  }
  // Longest first, so a secret that contains another is replaced whole.
  std::sort(ordered.begin(), ordered.end(),
            [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  std::string out(text);
  for (std::string_view secret : ordered) {
    size_t at = 0;
    while ((at = out.find(secret, at)) != std::string::npos) {
      out.replace(at, secret.size(), kRedacted);
      at += kRedacted.size();
    }
  }
  return out;
}

std::string RedactAuthorizationHeaders(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    bool quoted = false;
    size_t header_len = AuthorizationHeaderLength(text, i, &quoted);
    if (header_len == 0) {
      out += text[i++];
      continue;
    }
    out.append(text.substr(i, header_len));
    i += header_len;
    // Keep a scheme word ("Bearer", "Basic") when a credential follows it.
    size_t word_end = i;
    while (word_end < text.size() && std::isalpha(static_cast<unsigned char>(text[word_end]))) {
      ++word_end;
    }
    if (word_end < text.size() && text[word_end] == ' ') {
      out.append(text.substr(i, word_end - i + 1));
      i = word_end + 1;
    }
    size_t value_end = text.find_first_of(quoted ? "\"\r\n" : "\r\n", i);
    if (value_end == std::string_view::npos) value_end = text.size();
    if (value_end > i) out.append(kRedacted);
    i = value_end;
  }
  return out;
}

std::pair<size_t, size_t> UrlUserinfoSpan(std::string_view text, size_t sep) {
  constexpr size_t npos = std::string_view::npos;
  size_t start = sep + 3;
  size_t end = start;  // the authority as RFC 3986 reads it
  size_t at = npos;
  while (end < text.size() && !EndsAuthority(text[end])) {
    if (text[end] == '@') at = end;
    ++end;
  }
  if (at != npos) return {start, at};
  // "user:secret" where the secret is no port: a raw '/', '?' or '#' cut the userinfo short.
  std::string_view authority = text.substr(start, end - start);
  size_t colon = authority.find(':');
  if (colon == npos || authority[0] == '[') return {npos, npos};
  std::string_view port = authority.substr(colon + 1);
  bool is_port = std::all_of(port.begin(), port.end(),
                             [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (is_port) return {npos, npos};
  for (size_t i = end; i < text.size() && !EndsUrl(text[i]); ++i) {
    if (text[i] == '@') at = i;
  }
  if (at == npos) return {npos, npos};
  return {start, at};
}

std::string RedactUrlUserinfo(std::string_view text) {
  std::string out;
  size_t copied = 0;
  size_t sep = 0;
  while ((sep = text.find("://", sep)) != std::string_view::npos) {
    size_t authority = sep + 3;
    if (SchemeStart(text, sep) == std::string_view::npos) {
      sep = authority;
      continue;
    }
    auto [begin, at] = UrlUserinfoSpan(text, sep);
    if (begin == std::string_view::npos) {
      sep = authority;
      continue;
    }
    size_t colon = text.find(':', begin);
    size_t keep_until = colon < at ? colon + 1 : begin;
    out.append(text.substr(copied, keep_until - copied));
    out.append(kRedacted);
    copied = at;
    sep = at;
  }
  out.append(text.substr(copied));
  return out;
}

std::vector<std::string> SecretForms(std::string_view secret) {
  std::vector<std::string> out{std::string(secret)};
  static const char kUpper[] = "0123456789ABCDEF";
  static const char kLower[] = "0123456789abcdef";
  for (const char* hex : {kUpper, kLower}) {
    std::string encoded;
    for (char c : secret) {
      auto u = static_cast<unsigned char>(c);
      if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
        encoded += c;
      } else {
        encoded += '%';
        encoded += hex[u >> 4];
        encoded += hex[u & 15];
      }
    }
    if (std::find(out.begin(), out.end(), encoded) == out.end()) out.push_back(encoded);
  }
  return out;
}

std::string RedactPrivateKeys(std::string_view text) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  static constexpr std::string_view kKeyLabelEnd = "PRIVATE KEY-----";
  std::string out;
  size_t copied = 0;
  size_t begin = 0;
  while ((begin = text.find(kBegin, begin)) != std::string_view::npos) {
    size_t label_end = text.find("-----", begin + kBegin.size());
    if (label_end == std::string_view::npos) break;
    size_t header_end = label_end + 5;
    bool is_key =
        header_end >= kKeyLabelEnd.size() &&
        text.substr(header_end - kKeyLabelEnd.size(), kKeyLabelEnd.size()) == kKeyLabelEnd;
    if (!is_key) {
      begin = header_end;
      continue;
    }
    size_t end = text.find("-----END ", header_end);
    out.append(text.substr(copied, header_end - copied));
    out.append("\n");
    out.append(kRedacted);
    out.append("\n");
    // An unterminated block (a truncated message) is hidden to the end.
    copied = end == std::string_view::npos ? text.size() : end;
    begin = copied;
  }
  out.append(text.substr(std::min(copied, text.size())));
  return out;
}

std::string RedactMessage(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out = Redact(text, secrets);
  out = RedactAuthorizationHeaders(out);
  out = RedactUrlUserinfo(out);
  return RedactPrivateKeys(out);
}

SecretRegistry& SecretRegistry::Global() {
  static SecretRegistry* registry = new SecretRegistry();  // never destroyed: used at exit
  return *registry;
}

void SecretRegistry::Add(std::string_view secret) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::string& form : SecretForms(secret)) AddOne(form);
  if (secret.find("-----BEGIN ") == std::string_view::npos) return;
  size_t start = 0;
  while (start < secret.size()) {
    size_t end = secret.find('\n', start);
    if (end == std::string_view::npos) end = secret.size();
    std::string_view line = secret.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find("-----") == std::string_view::npos) AddOne(line);
    start = end + 1;
  }
}

void SecretRegistry::AddOne(std::string_view secret) {
  if (secret.size() < kMinSecretLength) return;
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.emplace_back(secret);
  while (secrets_.size() > capacity_) secrets_.pop_front();
}

std::string SecretRegistry::Scrub(std::string_view text) const {
  std::vector<std::string> secrets;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    secrets.assign(secrets_.begin(), secrets_.end());
  }
  return RedactMessage(text, secrets);
}

size_t SecretRegistry::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return secrets_.size();
}

}  // namespace mlgitops
