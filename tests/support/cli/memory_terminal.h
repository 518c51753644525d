// MemoryTerminal: a Terminal that keeps what is written, for tests of printers and commands;
// it can pretend to be a TTY to exercise the live views.
#pragma once

#include <string>
#include <string_view>

#include "cli/memory_terminal.h"
#include "cli/terminal.h"

namespace mlgitops {

/// In-memory terminal for tests.
class MemoryTerminal : public Terminal {
 public:
  explicit MemoryTerminal(bool is_tty = false) : is_tty_(is_tty) {}
  bool IsTerminal() const override { return is_tty_; }
  void Write(std::string_view text) override { text_.append(text); }
  const std::string& text() const { return text_; }

 private:
  bool is_tty_;
  std::string text_;
};

}  // namespace mlgitops
