// The terminal seam and the one printer that owns colour, alignment and TTY detection.
// Commands hand it rows; only the printer emits escape codes (and never when piped or NO_COLOR).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace mlgitops {

class Terminal {
 public:
  virtual ~Terminal() = default;
  virtual bool IsTerminal() const = 0;
  virtual void Write(std::string_view text) = 0;
};

/// stdout or stderr of the process.
class StdTerminal : public Terminal {
 public:
  explicit StdTerminal(FILE* stream) : stream_(stream) {}
  bool IsTerminal() const override;
  void Write(std::string_view text) override;

 private:
  FILE* stream_;
};

enum class Color { kNone, kGreen, kYellow, kRed, kBlue, kCyan, kGray, kBold };

struct Cell {
  Cell(std::string t = "", Color c = Color::kNone) : text(std::move(t)), color(c) {}  // NOLINT
  std::string text;
  Color color;
};

/// Colour on a TTY only: off with NO_COLOR (any value) or TERM=dumb; CLICOLOR_FORCE or
/// FORCE_COLOR (non-empty, not "0") turn it on even when piped.
bool ShouldColor(bool is_tty, const char* no_color, const char* term, const char* force);

class Printer {
 public:
  Printer(Terminal& out, bool color) : out_(out), color_(color) {}
  bool color() const { return color_; }
  void Write(std::string_view text) { out_.Write(text); }
  void Line(std::string_view text);
  std::string Paint(std::string_view text, Color color) const;
  /// Columns aligned by visible width, two spaces apart, headers upper-case as given.
  void Table(const std::vector<std::string>& headers, const std::vector<std::vector<Cell>>& rows);

 private:
  Terminal& out_;
  bool color_;
};

}  // namespace mlgitops
