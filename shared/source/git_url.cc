// Git URL parsing and credential scope matching.
#include "source/git_url.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "sys/redact.h"

namespace mlgitops {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// RFC 3986 percent-decoding; false on a '%' not followed by two hex digits.
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      *out += in[i];
      continue;
    }
    int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) return false;
    *out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

std::string DefaultPort(const std::string& scheme) {
  if (scheme == "https") return "443";
  if (scheme == "http") return "80";
  if (scheme == "ssh") return "22";
  if (scheme == "git") return "9418";
  return "";
}

/// The URL as errors may show it: everything but the userinfo.
std::string Shown(std::string_view url, std::pair<size_t, size_t> userinfo) {
  if (userinfo.first == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, userinfo.first)) + std::string(url.substr(userinfo.second + 1));
}

Status SplitUserinfo(std::string_view userinfo, const std::string& shown, GitUrl* out) {
  if (userinfo.find_first_of("/?#") != std::string_view::npos) {
    return Status::InvalidArgument(
        "the user or password in " + shown +
        " holds a raw '/', '?' or '#': percent-encode them (%2F, %3F, %23), as git requires");
  }
  size_t colon = userinfo.find(':');
  std::string_view user = userinfo.substr(0, colon);
  std::string_view password =
      colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
  if (!PercentDecode(user, &out->username) || !PercentDecode(password, &out->password)) {
    return Status::InvalidArgument("the user or password in " + shown +
                                   " holds a '%' that is no percent-escape (write it as %25)");
  }
  out->password_as_written = std::string(password);
  return Status::OK();
}

Status SplitHostPort(std::string_view hostport, const std::string& shown, GitUrl* out) {
  std::string_view port;
  if (!hostport.empty() && hostport[0] == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument(shown + ": unterminated IPv6 address");
    }
    out->host = Lower(hostport.substr(1, close - 1));
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') {
      return Status::InvalidArgument(shown + ": text after the IPv6 address");
    }
    if (!rest.empty()) port = rest.substr(1);
  } else {
    size_t colon = hostport.find(':');
    out->host = Lower(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port = hostport.substr(colon + 1);
  }
  if (out->host.empty()) return Status::InvalidArgument(shown + ": no host");
  if (!std::all_of(port.begin(), port.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      port.size() > 5) {
    return Status::InvalidArgument(shown + ": the port is not a number");
  }
  out->port = port.empty() ? DefaultPort(out->scheme) : std::string(port);
  return Status::OK();
}

/// "user@host:path" with no "://": a local path unless a host comes before the ':' (git's rule:
/// no '/' before the first ':').
bool IsScpLike(std::string_view url) {
  size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0 || url[0] == '/' || url[0] == '.') return false;
  size_t slash = url.find('/');
  return slash == std::string_view::npos || colon < slash;
}

/// Path segments with trailing "/" and ".git" dropped; false when one is "." or "..".
bool Segments(std::string_view path, std::vector<std::string>* out) {
  path = path.substr(0, path.find_first_of("?#"));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.size() >= 4 && path.substr(path.size() - 4) == ".git") path.remove_suffix(4);
  out->clear();
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view segment = path.substr(start, end - start);
    std::string decoded;
    if (!PercentDecode(segment, &decoded)) decoded = std::string(segment);
    if (decoded == "." || decoded == "..") return false;
    if (!segment.empty()) out->emplace_back(segment);
    start = end + 1;
  }
  return true;
}

}  // namespace

std::string GitUrl::Origin() const { return scheme + "://" + host + ":" + port; }

Result<GitUrl> ParseGitUrl(std::string_view url) {
  GitUrl out;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    if (!IsScpLike(url)) {
      out.scheme = "file";
      out.path = std::string(url);
      return out;
    }
    // scp-like: [user@]host:path (user names here are not percent-encoded).
    size_t colon = url.find(':');
    std::string_view authority = url.substr(0, colon);
    size_t at = authority.rfind('@');
    out.scheme = "ssh";
    if (at != std::string_view::npos) out.username = std::string(authority.substr(0, at));
    out.host = Lower(authority.substr(at == std::string_view::npos ? 0 : at + 1));
    out.port = "22";
    std::string_view path = url.substr(colon + 1);
    out.path = (path.empty() || path[0] != '/' ? "/" : "") + std::string(path);
    if (out.host.empty()) return Status::InvalidArgument(std::string(url) + ": no host");
    return out;
  }
  out.scheme = Lower(url.substr(0, sep));
  if (out.scheme == "git+ssh" || out.scheme == "ssh+git") out.scheme = "ssh";
  if (out.scheme == "file") {
    out.path = std::string(url.substr(sep + 3));
    return out;
  }
  auto userinfo = UrlUserinfoSpan(url, sep);
  std::string shown = Shown(url, userinfo);
  size_t host_start = sep + 3;
  if (userinfo.first != std::string_view::npos) {
    Status s =
        SplitUserinfo(url.substr(userinfo.first, userinfo.second - userinfo.first), shown, &out);
    if (!s.ok()) return s;
    host_start = userinfo.second + 1;
  }
  size_t host_end = std::min(url.find_first_of("/?#", host_start), url.size());
  Status s = SplitHostPort(url.substr(host_start, host_end - host_start), shown, &out);
  if (!s.ok()) return s;
  out.path = std::string(url.substr(host_end));
  return out;
}

bool UrlInScope(const GitUrl& url, const GitUrl& scope, bool prefix) {
  if (!url.IsRemote() || !scope.IsRemote() || url.Origin() != scope.Origin()) return false;
  std::vector<std::string> have, want;
  if (!Segments(url.path, &have) || !Segments(scope.path, &want)) return false;
  if (prefix ? have.size() < want.size() : have.size() != want.size()) return false;
  return std::equal(want.begin(), want.end(), have.begin());
}

}  // namespace mlgitops
