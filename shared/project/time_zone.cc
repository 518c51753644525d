// TZif (RFC 8536) reading: the version 2+ 64-bit block when present, else version 1.
#include "project/time_zone.h"

#include <cstdlib>
#include <vector>

#include "object/yaml_loader.h"

namespace mlgitops {

namespace {

constexpr size_t kMaxZoneFileBytes = 256 * 1024;

int64_t ReadBigEndian(const std::string& data, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(data[at + i]);
  if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

bool ValidZoneName(const std::string& zone) {
  if (zone.empty() || zone.size() > 128 || zone.front() == '/') return false;
  for (char c : zone) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return zone.find("..") == std::string::npos;
}

struct Header {
  int64_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
};

bool ReadHeader(const std::string& data, size_t at, Header* h) {
  if (data.size() < at + 44 || data.compare(at, 4, "TZif") != 0) return false;
  h->isut = ReadBigEndian(data, at + 20, 4);
  h->isstd = ReadBigEndian(data, at + 24, 4);
  h->leap = ReadBigEndian(data, at + 28, 4);
  h->time = ReadBigEndian(data, at + 32, 4);
  h->type = ReadBigEndian(data, at + 36, 4);
  h->chars = ReadBigEndian(data, at + 40, 4);
  return h->isut >= 0 && h->isstd >= 0 && h->leap >= 0 && h->time >= 0 && h->type > 0 &&
         h->chars >= 0;
}

size_t BlockSize(const Header& h, int time_bytes) {
  return static_cast<size_t>(h.time * time_bytes + h.time + h.type * 6 + h.chars +
                             h.leap * (time_bytes + 4) + h.isstd + h.isut);
}

}  // namespace

std::string DefaultZoneinfoDir() {
  const char* env = std::getenv("ZONEINFO");
  return env && *env ? env : "/usr/share/zoneinfo";
}

Result<int64_t> UtcOffsetAt(const std::string& zone, int64_t unix,
                            const std::string& zoneinfo_dir) {
  if (zone.empty() || zone == "UTC" || zone == "Etc/UTC") return int64_t{0};
  if (!ValidZoneName(zone)) return Status::InvalidArgument("invalid time zone \"" + zone + "\"");
  auto data = ReadFileLimited(zoneinfo_dir + "/" + zone, kMaxZoneFileBytes, "time zone " + zone);
  if (!data.ok()) {
    return Status::InvalidArgument("unknown time zone \"" + zone + "\" (no " + zoneinfo_dir + "/" +
                                   zone + ")");
  }
  auto bad = [&] { return Status::InvalidArgument("time zone \"" + zone + "\": not a TZif file"); };
  Header h;
  if (!ReadHeader(*data, 0, &h)) return bad();
  size_t at = 44;
  int time_bytes = 4;
  if ((*data)[4] >= '2') {  // skip the version 1 block to the 64-bit one
    at += BlockSize(h, 4);
    if (!ReadHeader(*data, at, &h)) return bad();
    at += 44;
    time_bytes = 8;
  }
  if (data->size() < at + BlockSize(h, time_bytes)) return bad();
  size_t types_at = at + static_cast<size_t>(h.time * time_bytes);
  size_t infos_at = types_at + static_cast<size_t>(h.time);
  // The type in force: that of the last transition at or before `unix`; before the first, the
  // first non-DST type (RFC 8536 §3.2), approximated by type 0.
  int64_t type = 0;
  for (int64_t i = 0; i < h.time; ++i) {
    if (ReadBigEndian(*data, at + static_cast<size_t>(i * time_bytes), time_bytes) > unix) break;
    type = static_cast<unsigned char>((*data)[types_at + static_cast<size_t>(i)]);
  }
  if (type >= h.type) return bad();
  return ReadBigEndian(*data, infos_at + static_cast<size_t>(type * 6), 4);
}

}  // namespace mlgitops
