// Terminal output and table layout.
#include "cli/terminal.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace mlgitops {

bool StdTerminal::IsTerminal() const { return ::isatty(::fileno(stream_)) == 1; }

void StdTerminal::Write(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stream_);
  std::fflush(stream_);
}

bool ShouldColor(bool is_tty, const char* no_color, const char* term, const char* force) {
  if (no_color != nullptr) return false;  // https://no-color.org: present means off
  if (force != nullptr && *force != '\0' && std::strcmp(force, "0") != 0) return true;
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return is_tty;
}

namespace {
const char* Code(Color c) {
  switch (c) {
    case Color::kGreen:
      return "\033[32m";
    case Color::kYellow:
      return "\033[33m";
    case Color::kRed:
      return "\033[31m";
    case Color::kBlue:
      return "\033[34m";
    case Color::kCyan:
      return "\033[36m";
    case Color::kGray:
      return "\033[90m";
    case Color::kBold:
      return "\033[1m";
    case Color::kNone:
      return "";
  }
  return "";
}

// Display width: count UTF-8 lead bytes, so "✓" is one column.
size_t VisibleWidth(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}
}  // namespace

void Printer::Line(std::string_view text) {
  out_.Write(text);
  out_.Write("\n");
}

std::string Printer::Paint(std::string_view text, Color color) const {
  if (!color_ || color == Color::kNone) return std::string(text);
  return std::string(Code(color)) + std::string(text) + "\033[0m";
}

void Printer::Table(const std::vector<std::string>& headers,
                    const std::vector<std::vector<Cell>>& rows) {
  std::vector<size_t> widths(headers.size(), 0);
  for (size_t i = 0; i < headers.size(); ++i) widths[i] = VisibleWidth(headers[i]);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], VisibleWidth(row[i].text));
    }
  }
  auto emit = [&](const std::vector<Cell>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size() && i < widths.size(); ++i) {
      bool last = i + 1 == cells.size();
      line += Paint(cells[i].text, cells[i].color);
      if (!last) line.append(widths[i] - VisibleWidth(cells[i].text) + 2, ' ');
    }
    Line(line);
  };
  std::vector<Cell> head;
  for (const auto& h : headers) head.emplace_back(h, Color::kBold);
  emit(head);
  for (const auto& row : rows) emit(row);
}

}  // namespace mlgitops
