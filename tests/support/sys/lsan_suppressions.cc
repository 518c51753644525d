// LeakSanitizer's built-in suppressions for third-party code, compiled into every program of
// the sanitizer build (the link forces this symbol in), so child processes the tests start
// need no environment of their own.
extern "C" const char* __lsan_default_suppressions();

// Debian's libgit2 1.5 matches config and refspec patterns through pcre2 and never frees the
// match data; each fetch leaks a few hundred bytes inside libpcre2, none of it ours.
extern "C" const char* __lsan_default_suppressions() { return "leak:libpcre2-8.so\n"; }

// Quiet when only those are found: the suppression report would land in every command's stderr.
extern "C" const char* __lsan_default_options();
extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }
