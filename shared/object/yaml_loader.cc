// YAML/JSON to JSON-tree loading: a yaml-cpp event handler that builds RapidJSON values
// directly (no intermediate node graph), counting depth, document size and alias expansion.
#include "object/yaml_loader.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <sys/stat.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <istream>
#include <map>
#include <streambuf>
#include <unordered_set>

namespace mlgitops {

namespace {

// An istream over memory the caller keeps alive (no copy of large inputs).
class MemoryBuf : public std::streambuf {
 public:
  MemoryBuf(const char* data, size_t size) {
    char* p = const_cast<char*>(data);
    setg(p, p, p + size);
  }
};

// Thrown from inside the event handler to abort parsing; caught at the edge of this file.
struct LoadAbort {
  Status status;
};

std::string Where(const std::string& origin, const YAML::Mark& mark) {
  if (mark.is_null()) return origin;
  return origin + ": line " + std::to_string(mark.line + 1) + ", column " +
         std::to_string(mark.column + 1);
}

bool IsOneOf(const std::string& s, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (s == o) return true;
  }
  return false;
}

// Parses a YAML 1.1 integer (as go-yaml v2 resolves plain scalars); false if it is not one.
bool ParseYamlInt(const std::string& raw, int64_t* out, bool* overflow) {
  std::string s;
  s.reserve(raw.size());
  for (char c : raw) {
    if (c != '_') s += c;
  }
  if (s.empty()) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i >= s.size()) return false;
  int base = 10;
  if (s.size() > i + 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
    base = 16;
    i += 2;
  } else if (s.size() > i + 2 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B')) {
    base = 2;
    i += 2;
  } else if (s.size() > i + 2 && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O')) {
    base = 8;
    i += 2;
  } else if (s.size() > i + 1 && s[i] == '0') {
    base = 8;  // YAML 1.1: 0755
    i += 1;
  }
  for (size_t j = i; j < s.size(); ++j) {
    char c = s[j];
    bool ok = (base == 16 && std::isxdigit(static_cast<unsigned char>(c))) ||
              (base == 10 && c >= '0' && c <= '9') || (base == 8 && c >= '0' && c <= '7') ||
              (base == 2 && (c == '0' || c == '1'));
    if (!ok) return false;
  }
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str() + i, nullptr, base);
  if (errno == ERANGE || v > static_cast<unsigned long long>(INT64_MAX) + (neg ? 1 : 0)) {
    *overflow = true;
    return false;
  }
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

bool LooksLikeFloat(const std::string& s) {
  // [-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?
  size_t i = 0, n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  bool digits = false;
  while (i < n && (std::isdigit(static_cast<unsigned char>(s[i])) || (digits && s[i] == '_'))) {
    digits = true;
    ++i;
  }
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '_')) {
      digits = true;
      ++i;
    }
  }
  if (!digits) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t start = i;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start) return false;
  }
  return i == n;
}

size_t CountNodes(const JsonValue& v) {
  size_t n = 1;
  if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) n += CountNodes(it->value);
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) n += CountNodes(e);
  }
  return n;
}

}  // namespace

PlainScalar ResolvePlainScalar(const std::string& s) {
  PlainScalar out;
  if (IsOneOf(s, {"", "~", "null", "Null", "NULL"})) {
    out.type = PlainScalar::kNull;
  } else if (IsOneOf(s,
                     {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"})) {
    out.type = PlainScalar::kBool;
    out.boolean = true;
  } else if (IsOneOf(
                 s, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"})) {
    out.type = PlainScalar::kBool;
  } else if (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+' ||
             s[0] == '.') {
    bool overflow = false;
    if (ParseYamlInt(s, &out.integer, &overflow)) {
      out.type = PlainScalar::kInt;
    } else if (overflow || LooksLikeFloat(s)) {
      std::string clean;
      for (char ch : s) {
        if (ch != '_') clean += ch;
      }
      out.number = std::strtod(clean.c_str(), nullptr);
      // .inf / .nan and out-of-range values have no JSON form: they stay text.
      if (std::isfinite(out.number)) out.type = PlainScalar::kFloat;
    }
  }
  return out;
}

namespace {

class JsonBuilder : public YAML::EventHandler {
 public:
  JsonBuilder(const std::string& origin, const LoadLimits& limits, std::vector<Object>* out)
      : origin_(origin), limits_(limits), out_(out) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    doc_start_ = mark.pos;
    alloc_ = NewObjectAllocator();
    root_.SetNull();
    has_root_ = false;
    ++documents_;
    if (documents_ > limits_.max_documents) {
      Fail(mark, "more than " + std::to_string(limits_.max_documents) + " documents");
    }
  }

  void OnDocumentEnd() override {
    if (has_root_ && !root_.IsNull()) {
      std::string origin = origin_;
      origin += " (document " + std::to_string(documents_) + ")";
      out_->emplace_back(std::move(alloc_), std::move(root_), origin);
    }
    root_.SetNull();
    alloc_.reset();
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Check(mark);
    Emit(mark, JsonValue(), anchor, "");
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Check(mark);
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) Fail(mark, "alias to an unknown anchor");
    alias_nodes_ += it->second.nodes;
    if (alias_nodes_ > limits_.max_alias_nodes) {
      FailLimit(mark, "YAML aliases expand to more than " +
                          std::to_string(limits_.max_alias_nodes) + " nodes (an alias bomb?)");
    }
    JsonValue copy(it->second.value, *alloc_);
    std::string key_text;
    if (copy.IsString()) key_text.assign(copy.GetString(), copy.GetStringLength());
    Emit(mark, std::move(copy), 0, key_text);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Check(mark);
    Emit(mark, Resolve(mark, tag, value), anchor, value);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Check(mark);
    Push(mark, JsonValue(rapidjson::kArrayType), anchor);
  }
  void OnSequenceEnd() override { Pop(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Check(mark);
    Push(mark, JsonValue(rapidjson::kObjectType), anchor);
  }
  void OnMapEnd() override { Pop(); }

 private:
  struct Frame {
    JsonValue value;
    YAML::anchor_t anchor = 0;
    YAML::Mark mark;
    bool expecting_key = true;  // maps only
    bool key_is_merge = false;
    JsonValue key;
    std::vector<JsonValue> merges;  // `<<` sources, applied at the end of the map
    std::unordered_set<std::string> keys;
  };
  struct Anchored {
    JsonValue value;
    size_t nodes = 0;
  };

  [[noreturn]] void Fail(const YAML::Mark& mark, const std::string& what) {
    throw LoadAbort{Status::InvalidArgument(Where(origin_, mark) + ": " + what)};
  }
  [[noreturn]] void FailLimit(const YAML::Mark& mark, const std::string& what) {
    throw LoadAbort{Status::LimitExceeded(Where(origin_, mark) + ": " + what)};
  }

  void Check(const YAML::Mark& mark) {
    if (mark.pos >= 0 && static_cast<size_t>(mark.pos - doc_start_) > limits_.max_document_bytes) {
      FailLimit(mark,
                "document is larger than " + std::to_string(limits_.max_document_bytes) + " bytes");
    }
  }

  JsonValue Resolve(const YAML::Mark& mark, const std::string& tag, const std::string& s) {
    // "!" is a quoted or block scalar; explicit !!str likewise: both stay strings.
    bool quoted = tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "tag:yaml.org,2002:binary";
    PlainScalar plain = quoted ? PlainScalar{} : ResolvePlainScalar(s);
    switch (plain.type) {
      case PlainScalar::kNull:
        return JsonValue();
      case PlainScalar::kBool:
        return JsonValue(plain.boolean);
      case PlainScalar::kInt:
        return JsonValue(plain.integer);
      case PlainScalar::kFloat:
        return JsonValue(plain.number);
      case PlainScalar::kString:
        break;
    }
    return JsonValue(s.data(), static_cast<rapidjson::SizeType>(s.size()), *alloc_);
  }

  void Push(const YAML::Mark& mark, JsonValue&& value, YAML::anchor_t anchor) {
    if (static_cast<int>(stack_.size()) >= limits_.max_depth) {
      FailLimit(mark, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    if (!stack_.empty() && stack_.back().value.IsObject() && stack_.back().expecting_key) {
      Fail(mark, "a map or list used as a map key is not supported");
    }
    Frame f;
    f.value = std::move(value);
    f.anchor = anchor;
    f.mark = mark;
    stack_.push_back(std::move(f));
  }

  void Pop() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.value.IsObject()) {
      // Merge keys: explicit keys win, earlier merge sources win over later ones.
      for (auto& src : f.merges) {
        for (auto it = src.MemberBegin(); it != src.MemberEnd(); ++it) {
          std::string k(it->name.GetString(), it->name.GetStringLength());
          if (f.keys.insert(k).second) {
            f.value.AddMember(JsonValue(it->name, *alloc_), JsonValue(it->value, *alloc_), *alloc_);
          }
        }
      }
    }
    Emit(f.mark, std::move(f.value), f.anchor, "");
  }

  void Emit(const YAML::Mark& mark, JsonValue&& value, YAML::anchor_t anchor,
            const std::string& raw_text) {
    if (anchor != 0) {
      Anchored a;
      a.value.CopyFrom(value, anchor_alloc_);
      a.nodes = CountNodes(value);
      anchors_[anchor] = std::move(a);
    }
    if (stack_.empty()) {
      root_ = std::move(value);
      has_root_ = true;
      return;
    }
    Frame& top = stack_.back();
    if (top.value.IsArray()) {
      top.value.PushBack(std::move(value), *alloc_);
      return;
    }
    if (top.expecting_key) {
      std::string key;
      if (value.IsString()) {
        key.assign(value.GetString(), value.GetStringLength());
      } else if (value.IsNull() && raw_text.empty()) {
        key = "null";
      } else {
        key = raw_text;  // keys keep their text: `on:` stays "on"
      }
      top.key_is_merge = key == "<<" && (value.IsString() || !raw_text.empty());
      if (!top.key_is_merge && !top.keys.insert(key).second) {
        Fail(mark, "duplicate key \"" + key + "\"");
      }
      top.key = JsonValue(key.data(), static_cast<rapidjson::SizeType>(key.size()), *alloc_);
      top.expecting_key = false;
      return;
    }
    top.expecting_key = true;
    if (top.key_is_merge) {
      top.key_is_merge = false;
      if (value.IsObject()) {
        top.merges.push_back(std::move(value));
        return;
      }
      if (value.IsArray()) {
        for (auto& e : value.GetArray()) {
          if (!e.IsObject()) Fail(mark, "merge key \"<<\" needs a map or a list of maps");
          top.merges.push_back(std::move(e));
        }
        return;
      }
      Fail(mark, "merge key \"<<\" needs a map or a list of maps");
    }
    top.value.AddMember(std::move(top.key), std::move(value), *alloc_);
  }

  const std::string& origin_;
  const LoadLimits& limits_;
  std::vector<Object>* out_;
  std::unique_ptr<JsonAllocator> alloc_;
  JsonAllocator anchor_alloc_;
  JsonValue root_;
  bool has_root_ = false;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  size_t alias_nodes_ = 0;
  size_t documents_ = 0;
  int doc_start_ = 0;
};

// Forwards SAX events to a Document while refusing nesting deeper than the limit.
class DepthLimitedHandler {
 public:
  DepthLimitedHandler(rapidjson::Document* doc, int max_depth) : doc_(doc), max_(max_depth) {}
  bool Null() { return doc_->Null(); }
  bool Bool(bool b) { return doc_->Bool(b); }
  bool Int(int i) { return doc_->Int(i); }
  bool Uint(unsigned u) { return doc_->Uint(u); }
  bool Int64(int64_t i) { return doc_->Int64(i); }
  bool Uint64(uint64_t u) { return doc_->Uint64(u); }
  bool Double(double d) { return doc_->Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return doc_->RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_->String(s, n, copy); }
  bool StartObject() { return ++depth_ <= max_ && doc_->StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_->Key(s, n, copy); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return doc_->EndObject(n);
  }
  bool StartArray() { return ++depth_ <= max_ && doc_->StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return doc_->EndArray(n);
  }
  bool too_deep() const { return depth_ > max_; }

 private:
  rapidjson::Document* doc_;
  int max_;
  int depth_ = 0;
};

// Parses JSON text; returns false (leaving *err empty) when it is not JSON at all, so the
// caller can try YAML (a flow map `{a: b}` also starts with a brace).
bool ParseJson(std::string_view text, const std::string& origin, const LoadLimits& limits,
               std::vector<Object>* out, Status* err) {
  auto alloc = NewObjectAllocator();
  rapidjson::Document doc(alloc.get());
  DepthLimitedHandler handler(&doc, limits.max_depth);
  rapidjson::Reader reader;
  rapidjson::MemoryStream ms(text.data(), text.size());
  rapidjson::ParseResult result;
  auto generate = [&](rapidjson::Document&) {
    result = reader.Parse<rapidjson::kParseIterativeFlag>(ms, handler);
    return static_cast<bool>(result);
  };
  doc.Populate(generate);
  if (handler.too_deep()) {
    *err = Status::LimitExceeded(origin + ": nesting deeper than " +
                                 std::to_string(limits.max_depth) + " levels");
    return true;
  }
  if (!result) return false;
  JsonValue root;
  root.Swap(doc);
  if (root.IsNull()) return true;
  out->emplace_back(std::move(alloc), std::move(root), origin);
  return true;
}

bool StartsLikeJson(std::string_view text) {
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    return c == '{' || c == '[';
  }
  return false;
}

Status ExpandAndCheck(std::vector<Object>& docs, std::vector<Object>* out) {
  for (auto& doc : docs) {
    const JsonValue& v = doc.json();
    if (!v.IsObject()) {
      return Status::InvalidArgument(doc.origin() + ": not a Kubernetes object (expected a map)");
    }
    std::string kind = doc.kind();
    const JsonValue* items = Find(v, "items");
    bool is_list = kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0 && items &&
                   items->IsArray();
    if (is_list) {
      size_t index = 0;
      for (const auto& item : items->GetArray()) {
        ++index;
        std::string origin = doc.origin() + " item " + std::to_string(index);
        if (!item.IsObject()) {
          return Status::InvalidArgument(origin + ": list item is not an object");
        }
        auto alloc = NewObjectAllocator();
        JsonValue copy(item, *alloc);
        std::vector<Object> one;
        one.emplace_back(std::move(alloc), std::move(copy), origin);
        Status s = ExpandAndCheck(one, out);
        if (!s.ok()) return s;
      }
      continue;
    }
    const JsonValue* api = Find(v, "apiVersion");
    const JsonValue* k = Find(v, "kind");
    if (!api || !api->IsString() || api->GetStringLength() == 0) {
      return Status::InvalidArgument(doc.origin() + ": object has no apiVersion");
    }
    if (!k || !k->IsString() || k->GetStringLength() == 0) {
      return Status::InvalidArgument(doc.origin() + ": object has no kind");
    }
    const JsonValue* meta = Find(v, "metadata");
    if (meta && !meta->IsObject()) {
      return Status::InvalidArgument(doc.origin() + ": metadata is not a map");
    }
    out->push_back(std::move(doc));
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<Object>> ParseYamlStream(std::string_view text, const std::string& origin,
                                            const LoadLimits& limits) {
  if (text.size() > limits.max_file_bytes) {
    return Status::LimitExceeded(origin + ": larger than " + std::to_string(limits.max_file_bytes) +
                                 " bytes");
  }
  std::vector<Object> docs;
  if (StartsLikeJson(text)) {
    Status err;
    if (ParseJson(text, origin, limits, &docs, &err)) {
      if (!err.ok()) return err;
      return docs;
    }
    docs.clear();
  }
  try {
    MemoryBuf buf(text.data(), text.size());
    std::istream in(&buf);
    YAML::Parser parser(in);
    JsonBuilder builder(origin, limits, &docs);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const LoadAbort& abort) {
    return abort.status;
  } catch (const YAML::DeepRecursion& e) {
    return Status::LimitExceeded(Where(origin, e.mark) + ": nesting too deep");
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(Where(origin, e.mark) + ": " + e.msg);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(origin + ": " + e.what());
  }
  return docs;
}

Result<std::vector<Object>> ParseManifests(std::string_view text, const std::string& origin,
                                           const LoadLimits& limits) {
  auto docs = ParseYamlStream(text, origin, limits);
  if (!docs.ok()) return docs.status();
  std::vector<Object> out;
  Status s = ExpandAndCheck(*docs, &out);
  if (!s.ok()) return s;
  return out;
}

Result<std::string> ReadFileLimited(const std::string& path, size_t max_bytes,
                                    const std::string& display_name) {
  const std::string& name = display_name.empty() ? path : display_name;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status::NotFound(name + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(name + ": not a regular file");
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return Status::LimitExceeded(name + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(name + ": cannot open");
  std::string data;
  data.resize(static_cast<size_t>(st.st_size));
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  // A file that grew after stat() is still refused past the limit.
  if (in.peek() != std::char_traits<char>::eof()) {
    return Status::LimitExceeded(name + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  return data;
}

Result<std::vector<Object>> LoadManifestFile(const std::string& path, const LoadLimits& limits,
                                             const std::string& display_name) {
  const std::string& name = display_name.empty() ? path : display_name;
  auto data = ReadFileLimited(path, limits.max_file_bytes, name);
  if (!data.ok()) return data.status();
  return ParseManifests(*data, name, limits);
}

}  // namespace mlgitops
