// Protobuf wire-format decoding driven by the tables in protobuf_schema.cc.
#include "kubesim/protobuf.h"

#include <cstdint>
#include <string_view>

#include "kubesim/encoding.h"
#include "kubesim/json_util.h"
#include "kubesim/protobuf_schema.h"
#include "object/timeutil.h"

namespace mlgitops::kubesim {

namespace {

constexpr int kMaxMessageDepth = 32;

class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  bool Varint(uint64_t* out) {
    *out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      auto byte = static_cast<uint8_t>(data_[pos_++]);
      *out |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (byte < 0x80) return true;
    }
    return false;
  }

  bool Bytes(std::string_view* out) {
    uint64_t length;
    if (!Varint(&length) || length > data_.size() - pos_) return false;
    *out = data_.substr(pos_, length);
    pos_ += length;
    return true;
  }

  bool Skip(int wire_type) {
    uint64_t ignored;
    std::string_view bytes;
    switch (wire_type) {
      case 0:
        return Varint(&ignored);
      case 1:
        return Advance(8);
      case 2:
        return Bytes(&bytes);
      case 5:
        return Advance(4);
      default:
        return false;
    }
  }

 private:
  bool Advance(size_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

Status Malformed() { return Status::InvalidArgument("malformed protobuf request body"); }

// Reads the (key, value) entries of a map field's entry message.
bool MapEntry(std::string_view entry, std::string* key, std::string_view* value) {
  WireReader r(entry);
  while (!r.done()) {
    uint64_t tag;
    if (!r.Varint(&tag)) return false;
    std::string_view bytes;
    if ((tag & 7) != 2) {
      if (!r.Skip(static_cast<int>(tag & 7))) return false;
      continue;
    }
    if (!r.Bytes(&bytes)) return false;
    if ((tag >> 3) == 1) *key = std::string(bytes);
    if ((tag >> 3) == 2) *value = bytes;
  }
  return true;
}

// The first length-delimited field `number` of a small message (Quantity, strVal, ...).
std::string_view StringField(std::string_view message, uint64_t number) {
  WireReader r(message);
  while (!r.done()) {
    uint64_t tag;
    if (!r.Varint(&tag)) return {};
    std::string_view bytes;
    if ((tag & 7) == 2 && r.Bytes(&bytes)) {
      if ((tag >> 3) == number) return bytes;
    } else if ((tag & 7) != 2 && !r.Skip(static_cast<int>(tag & 7))) {
      return {};
    }
  }
  return {};
}

// Varint field `number` of a small message (Time.seconds, IntOrString.type/intVal).
int64_t VarintField(std::string_view message, uint64_t number) {
  WireReader r(message);
  while (!r.done()) {
    uint64_t tag, value;
    if (!r.Varint(&tag)) return 0;
    if ((tag & 7) == 0) {
      if (!r.Varint(&value)) return 0;
      if ((tag >> 3) == number) return static_cast<int64_t>(value);
    } else if (!r.Skip(static_cast<int>(tag & 7))) {
      return 0;
    }
  }
  return 0;
}

Status DecodeMessage(std::string_view bytes, const ProtoMessage& schema, JsonValue& out,
                     JsonAllocator& a, int depth);

void Put(JsonValue& out, const ProtoField& f, JsonValue value, JsonAllocator& a) {
  if (!f.repeated) {
    SetMember(out, f.json, std::move(value), a);
    return;
  }
  JsonValue* list = FindMember(out, f.json);
  if (!list || !list->IsArray()) {
    SetMember(out, f.json, JsonValue(rapidjson::kArrayType), a);
    list = FindMember(out, f.json);
  }
  list->PushBack(value, a);
}

Status DecodeLengthDelimited(const ProtoField& f, std::string_view bytes, JsonValue& out,
                             JsonAllocator& a, int depth) {
  switch (f.kind) {
    case ProtoKind::kString:
      if (!bytes.empty() || f.repeated || f.keep_zero) Put(out, f, Str(bytes, a), a);
      return Status::OK();
    case ProtoKind::kMessage: {
      const ProtoMessage* nested = FindProtoMessage(f.message);
      if (!nested) return Status::OK();
      JsonValue child(rapidjson::kObjectType);
      Status s = DecodeMessage(bytes, *nested, child, a, depth + 1);
      if (!s.ok()) return s;
      if (child.MemberCount() > 0 || f.repeated) Put(out, f, std::move(child), a);
      return Status::OK();
    }
    case ProtoKind::kStringMap:
    case ProtoKind::kBytesMap:
    case ProtoKind::kQuantityMap: {
      std::string key;
      std::string_view value;
      if (!MapEntry(bytes, &key, &value)) return Malformed();
      std::string text = f.kind == ProtoKind::kBytesMap      ? Base64Encode(std::string(value))
                         : f.kind == ProtoKind::kQuantityMap ? std::string(StringField(value, 1))
                                                             : std::string(value);
      SetString(EnsureObject(out, f.json, a), key, text, a);
      return Status::OK();
    }
    case ProtoKind::kTime: {
      int64_t seconds = VarintField(bytes, 1);
      if (seconds != 0) Put(out, f, Str(FormatRfc3339(seconds), a), a);
      return Status::OK();
    }
    case ProtoKind::kIntOrString: {
      if (VarintField(bytes, 1) == 1) {
        Put(out, f, Str(StringField(bytes, 3), a), a);
      } else {
        Put(out, f, JsonValue(VarintField(bytes, 2)), a);
      }
      return Status::OK();
    }
    default:
      return Malformed();
  }
}

Status DecodeMessage(std::string_view bytes, const ProtoMessage& schema, JsonValue& out,
                     JsonAllocator& a, int depth) {
  if (depth > kMaxMessageDepth) return Status::LimitExceeded("protobuf body nested too deeply");
  WireReader r(bytes);
  while (!r.done()) {
    uint64_t tag;
    if (!r.Varint(&tag)) return Malformed();
    int wire_type = static_cast<int>(tag & 7);
    const ProtoField* field = nullptr;
    for (const ProtoField& f : schema.fields) {
      if (static_cast<uint64_t>(f.number) == (tag >> 3)) field = &f;
    }
    if (!field) {
      if (!r.Skip(wire_type)) return Malformed();
      continue;
    }
    if (wire_type == 0) {
      uint64_t value;
      if (!r.Varint(&value)) return Malformed();
      if (field->kind == ProtoKind::kBool) {
        if (value || field->keep_zero) Put(out, *field, JsonValue(value != 0), a);
      } else if (field->kind == ProtoKind::kInt) {
        auto number = static_cast<int64_t>(value);  // negative int32s are sign-extended
        if (number || field->keep_zero) Put(out, *field, JsonValue(number), a);
      }
      continue;
    }
    if (wire_type != 2) {
      if (!r.Skip(wire_type)) return Malformed();
      continue;
    }
    std::string_view payload;
    if (!r.Bytes(&payload)) return Malformed();
    Status s = DecodeLengthDelimited(*field, payload, out, a, depth);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

Result<Object> DecodeKubernetesProtobuf(const std::string& body) {
  static const std::string kMagic("k8s\0", 4);
  if (body.compare(0, kMagic.size(), kMagic) != 0) {
    return Status::InvalidArgument("protobuf body does not start with the k8s envelope");
  }
  WireReader envelope(std::string_view(body).substr(kMagic.size()));
  std::string_view type_meta, raw, encoding;
  while (!envelope.done()) {
    uint64_t tag;
    std::string_view bytes;
    if (!envelope.Varint(&tag)) return Malformed();
    if ((tag & 7) != 2) {
      if (!envelope.Skip(static_cast<int>(tag & 7))) return Malformed();
      continue;
    }
    if (!envelope.Bytes(&bytes)) return Malformed();
    if ((tag >> 3) == 1) type_meta = bytes;
    if ((tag >> 3) == 2) raw = bytes;
    if ((tag >> 3) == 3) encoding = bytes;
  }
  std::string api_version(StringField(type_meta, 1));
  std::string kind(StringField(type_meta, 2));
  if (!encoding.empty()) return Status::Unsupported("protobuf content encoding is not supported");
  const ProtoMessage* schema = FindProtoMessage(kind);
  if (kind.empty() || !schema || kind == "Unknown" || kind == "TypeMeta") {
    return Status::Unsupported("protobuf encoding of kind " + kind + " is not supported");
  }
  Object object;
  JsonValue& root = object.mutable_json();
  JsonAllocator& a = object.allocator();
  SetString(root, "apiVersion", api_version, a);
  SetString(root, "kind", kind, a);
  Status s = DecodeMessage(raw, *schema, root, a, 0);
  if (!s.ok()) return s;
  return object;
}

}  // namespace mlgitops::kubesim
