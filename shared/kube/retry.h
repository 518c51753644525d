// Which failed API requests are sent again, and when: 429 waits for Retry-After; 5xx, timeouts
// and dropped connections back off exponentially with jitter; all bounded in count and time.
#pragma once

#include <chrono>
#include <string>

#include "kube/transport.h"

namespace mlgitops {

/// Whether sending a request twice can do something sending it once would not.
enum class Repeatable {
  kAlways,     // reads, server-side apply, merge patches, deletes with preconditions
  kIfNotSent,  // creates (POST), unguarded deletes: only when it surely never arrived
};

struct RetryPolicy {
  int max_attempts = 6;  // the first try included
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{8000};
  std::chrono::milliseconds max_total{60000};  // from the first try to the start of the last
  double jitter = 0.2;                         // each wait is stretched or shrunk by up to 20%
};

/// Time and chance for retries; tests replace it so nothing sleeps for real.
class RetryClock {
 public:
  virtual ~RetryClock() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
  virtual void Sleep(std::chrono::milliseconds duration) = 0;
  /// Uniform in [0, 1), for jitter.
  virtual double Random() = 0;
};

/// The real clock, a thread-safe shared instance.
RetryClock& SystemRetryClock();

struct RetryVerdict {
  bool retry = false;
  std::chrono::milliseconds delay{0};
  std::string why_not;  // when !retry after a failure: "gave up after 6 attempts", ...
};

/// Decides about `outcome`, the result of attempt number `attempt` (1-based), `elapsed` after
/// the first try began. `random` in [0, 1) picks the jitter.
RetryVerdict DecideRetry(const HttpOutcome& outcome, Repeatable repeatable, int attempt,
                         std::chrono::milliseconds elapsed, const RetryPolicy& policy,
                         double random);

struct SendResult {
  HttpOutcome outcome;  // the last attempt's
  int attempts = 0;
  std::chrono::milliseconds elapsed{0};
  std::string why_not;  // see RetryVerdict
  /// "4 attempts in 3.2s: gave up after 4 attempts" when retries happened, else "".
  std::string Note() const;
};

/// The Status for a send that did not end in a 2xx answer: the transport's failure or the API's
/// error, naming `subject`, with the retry note.
Status SendFailureStatus(const SendResult& result, const RequestSubject& subject,
                         const Redactor& redactor);

/// Sends through a Transport with retries. On a 401 it refreshes the credentials (exec plugin,
/// token file) and repeats once, whatever the request. Thread-safe.
class RetryingSender {
 public:
  RetryingSender(Transport* transport, RetryPolicy policy, RetryClock* clock)
      : transport_(transport), policy_(policy), clock_(clock) {}
  SendResult Send(const HttpRequest& request, Repeatable repeatable) const;
  Transport& transport() const { return *transport_; }

 private:
  Transport* transport_;
  RetryPolicy policy_;
  RetryClock* clock_;
};

}  // namespace mlgitops
