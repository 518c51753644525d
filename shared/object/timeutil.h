// Time values as Kubernetes writes them: RFC 3339 timestamps and Go-style durations.
// Pure functions, no clock: callers pass "now" explicitly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mlgitops {

/// "2024-05-01T10:00:00Z", with optional fraction and numeric offset -> Unix seconds.
std::optional<int64_t> ParseRfc3339(std::string_view text);
/// Unix seconds -> "2024-05-01T10:00:00Z".
std::string FormatRfc3339(int64_t unix_seconds);
/// Go durations ("90s", "30m", "1h30m", "1.5h") plus days ("2d"); a bare number is seconds.
/// nullopt when malformed or negative.
std::optional<int64_t> ParseDurationSeconds(std::string_view text);
/// A short human duration: "45s", "12m", "7h12m", "3d4h".
std::string FormatDurationShort(int64_t seconds);

}  // namespace mlgitops
