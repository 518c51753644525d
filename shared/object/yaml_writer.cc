// Block-style YAML output.
#include "object/yaml_writer.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>

#include "object/yaml_loader.h"

namespace mlgitops {

namespace {

// Words that resolve as strings here but mean something else to other YAML readers.
bool IsReserved(const std::string& s) {
  static const char* const kWords[] = {".inf",  ".Inf", ".INF", "-.inf", "-.Inf", "-.INF",
                                       "+.inf", ".nan", ".NaN", ".NAN",  "<<",    "="};
  for (const char* w : kWords) {
    if (s == w) return true;
  }
  return false;
}

// A plain scalar is safe when it cannot be read back as another type or as YAML syntax.
bool CanBePlain(const std::string& s) {
  if (IsReserved(s) || ResolvePlainScalar(s).type != PlainScalar::kString) return false;
  unsigned char first = static_cast<unsigned char>(s[0]);
  // A leading "- " or "-" alone is list syntax; dates read as timestamps in YAML 1.1 tools.
  if (first == '-' && (s.size() == 1 || s[1] == ' ')) return false;
  if (s.size() >= 10 && std::isdigit(first) && s[4] == '-' && s[7] == '-') return false;
  if (std::string("!&*{}[]|>'\"%@`#,?:").find(static_cast<char>(first)) != std::string::npos) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return false;
    if (c == '#' && i > 0 && s[i - 1] == ' ') return false;
    if (c == ',' || c == '[' || c == ']' || c == '{' || c == '}') return false;
  }
  return s.back() != ' ';
}

void AppendQuoted(const std::string& s, std::string* out) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  out->append(buf.GetString(), buf.GetSize());  // JSON strings are valid YAML double-quoted
}

// Multi-line text as a literal block when its lines allow it, else quoted.
bool AppendLiteral(const std::string& s, int indent, std::string* out) {
  if (s.find('\n') == std::string::npos || s[0] == ' ' || s[0] == '\n') return false;
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  }
  size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
  if (trailing > 1) return false;
  // A line ending in spaces survives a literal block, but keep it simple and exact: quote.
  if (s.find(" \n") != std::string::npos) return false;
  out->append(trailing == 1 ? "|" : "|-");
  std::string body = trailing == 1 ? s.substr(0, s.size() - 1) : s;
  size_t pos = 0;
  while (true) {
    size_t nl = body.find('\n', pos);
    std::string line = body.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    out->push_back('\n');
    if (!line.empty()) {
      out->append(static_cast<size_t>(indent), ' ');
      out->append(line);
    }
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return true;
}

void AppendScalar(const JsonValue& v, int indent, std::string* out) {
  if (v.IsNull()) {
    out->append("null");
  } else if (v.IsBool()) {
    out->append(v.GetBool() ? "true" : "false");
  } else if (v.IsString()) {
    std::string s(v.GetString(), v.GetStringLength());
    if (!s.empty() && CanBePlain(s)) {
      out->append(s);
    } else if (!AppendLiteral(s, indent, out)) {
      AppendQuoted(s, out);
    }
  } else {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    out->append(buf.GetString(), buf.GetSize());
  }
}

bool IsEmptyContainer(const JsonValue& v) {
  return (v.IsObject() && v.MemberCount() == 0) || (v.IsArray() && v.Size() == 0);
}

void AppendKey(const JsonValue& name, std::string* out) {
  std::string k(name.GetString(), name.GetStringLength());
  if (!k.empty() && CanBePlain(k)) {
    out->append(k);
  } else {
    AppendQuoted(k, out);
  }
}

void AppendNode(const JsonValue& v, int indent, std::string* out);

// Writes the value that follows "key:" or "- ".
void AppendAfterIndicator(const JsonValue& v, int indent, bool in_list_item, std::string* out) {
  if (IsEmptyContainer(v)) {
    out->append(v.IsObject() ? " {}\n" : " []\n");
  } else if (v.IsObject()) {
    out->push_back('\n');
    AppendNode(v, indent + 2, out);
  } else if (v.IsArray()) {
    out->push_back('\n');
    // Kubernetes style: list items at the same indent as their key.
    AppendNode(v, in_list_item ? indent + 2 : indent, out);
  } else {
    out->push_back(' ');
    AppendScalar(v, indent + 2, out);
    out->push_back('\n');
  }
}

void AppendNode(const JsonValue& v, int indent, std::string* out) {
  std::string pad(static_cast<size_t>(indent), ' ');
  if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      out->append(pad);
      AppendKey(it->name, out);
      out->push_back(':');
      AppendAfterIndicator(it->value, indent, false, out);
    }
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) {
      out->append(pad);
      out->append("-");
      if (e.IsObject() && e.MemberCount() > 0) {
        // First member on the dash line, the rest aligned under it.
        std::string nested;
        AppendNode(e, indent + 2, &nested);
        out->push_back(' ');
        out->append(nested.substr(static_cast<size_t>(indent) + 2));
      } else {
        AppendAfterIndicator(e, indent, true, out);
      }
    }
  } else {
    out->append(pad);
    AppendScalar(v, indent, out);
    out->push_back('\n');
  }
}

}  // namespace

void AppendYaml(const JsonValue& v, std::string* out) {
  if (IsEmptyContainer(v) || !(v.IsObject() || v.IsArray())) {
    if (IsEmptyContainer(v)) {
      out->append(v.IsObject() ? "{}\n" : "[]\n");
    } else {
      AppendScalar(v, 0, out);
      out->push_back('\n');
    }
    return;
  }
  AppendNode(v, 0, out);
}

std::string ToYaml(const JsonValue& v) {
  std::string out;
  AppendYaml(v, &out);
  return out;
}

}  // namespace mlgitops
