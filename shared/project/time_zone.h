// IANA time zones for sync windows: the UTC offset a zone has at an instant, read from the
// system's zoneinfo (TZif files), as Go's time.LoadLocation reads them for Argo CD.
#pragma once

#include <cstdint>
#include <string>

#include "object/status.h"

namespace mlgitops {

/// Seconds east of UTC in `zone` ("Europe/Berlin", "UTC", "" = UTC) at `unix`. The file is
/// read from $ZONEINFO when set, else /usr/share/zoneinfo. Past the file's last transition the
/// last offset holds. Errors name the zone: unknown, malformed name, or not a TZif file.
Result<int64_t> UtcOffsetAt(const std::string& zone, int64_t unix, const std::string& zoneinfo_dir);

/// $ZONEINFO, else /usr/share/zoneinfo.
std::string DefaultZoneinfoDir();

}  // namespace mlgitops
