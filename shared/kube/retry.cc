// Retry decisions (pure) and the loop that applies them.
#include "kube/retry.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>

namespace mlgitops {

using std::chrono::milliseconds;

namespace {

class RealRetryClock : public RetryClock {
 public:
  std::chrono::steady_clock::time_point Now() override { return std::chrono::steady_clock::now(); }
  void Sleep(milliseconds duration) override { std::this_thread::sleep_for(duration); }
  double Random() override {
    std::lock_guard<std::mutex> lock(mu_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine_);
  }

 private:
  std::mutex mu_;
  std::mt19937_64 engine_{std::random_device{}()};
};

milliseconds Backoff(int attempt, const RetryPolicy& policy, double random) {
  double base = static_cast<double>(policy.initial_backoff.count()) *
                std::pow(2.0, static_cast<double>(std::min(attempt - 1, 30)));
  base = std::min(base, static_cast<double>(policy.max_backoff.count()));
  double stretch = 1.0 + policy.jitter * (2.0 * random - 1.0);
  return milliseconds(static_cast<int64_t>(std::max(0.0, base * stretch)));
}

/// The wait the server asked for in a 429/503 answer, if any.
std::optional<milliseconds> ServerRequestedWait(const HttpResponse& response) {
  ApiError error = ParseApiError(response.status, response.body, response.Header("Retry-After"));
  if (!error.retry_after_seconds) return std::nullopt;
  return milliseconds(int64_t{*error.retry_after_seconds} * 1000);
}

bool IsRetryableStatus(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool FailureIsRetryable(const HttpOutcome& outcome, Repeatable repeatable) {
  switch (outcome.failure) {
    case TransportFailure::kConnect:
    case TransportFailure::kTlsHandshake:
    case TransportFailure::kLost:
      return repeatable == Repeatable::kAlways || !outcome.maybe_sent;
    default:
      return false;  // configuration, certificate refusals, credentials, size: the same again
  }
}

}  // namespace

RetryClock& SystemRetryClock() {
  static RealRetryClock clock;
  return clock;
}

RetryVerdict DecideRetry(const HttpOutcome& outcome, Repeatable repeatable, int attempt,
                         milliseconds elapsed, const RetryPolicy& policy, double random) {
  RetryVerdict verdict;
  std::optional<milliseconds> requested;
  if (outcome.ok()) {
    int status = outcome.response.status;
    if (!IsRetryableStatus(status)) return verdict;
    // 429 means the server refused before doing anything, so even a create may be repeated.
    if (status != 429 && repeatable != Repeatable::kAlways) {
      verdict.why_not = "not repeated: the request may have taken effect";
      return verdict;
    }
    requested = ServerRequestedWait(outcome.response);
  } else if (!FailureIsRetryable(outcome, repeatable)) {
    if (outcome.failure == TransportFailure::kLost) {
      verdict.why_not = "not repeated: the request may have reached the server";
    }
    return verdict;
  }
  if (attempt >= policy.max_attempts) {
    verdict.why_not = "gave up after " + std::to_string(attempt) + " attempts";
    return verdict;
  }
  milliseconds delay = requested ? *requested : Backoff(attempt, policy, random);
  if (elapsed + delay > policy.max_total) {
    verdict.why_not = "gave up: the next wait (" + SecondsText(delay) +
                      ") would pass the retry budget of " + SecondsText(policy.max_total);
    return verdict;
  }
  verdict.retry = true;
  verdict.delay = delay;
  return verdict;
}

std::string SendResult::Note() const {
  if (attempts <= 1 && why_not.empty()) return "";
  std::string note = std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
  if (elapsed.count() > 0) note += " in " + SecondsText(elapsed);
  if (!why_not.empty()) note += ": " + why_not;
  return note;
}

Status SendFailureStatus(const SendResult& result, const RequestSubject& subject,
                         const Redactor& redactor) {
  const HttpOutcome& outcome = result.outcome;
  std::string note = result.Note();
  if (outcome.ok()) {
    const HttpResponse& response = outcome.response;
    ApiError error = ParseApiError(response.status, response.body, response.Header("Retry-After"));
    return ApiErrorToStatus(error, subject, redactor, note);
  }
  std::string message = subject.Describe() + ": " + outcome.detail;
  if (!note.empty()) message += " [" + note + "]";
  message = redactor.Redact(message);
  switch (outcome.failure) {
    case TransportFailure::kConfig:
      return Status::InvalidArgument(message);
    case TransportFailure::kCredentials:
    case TransportFailure::kTlsVerify:
      return Status::FailedPrecondition(message);
    case TransportFailure::kTooLarge:
      return Status::LimitExceeded(message);
    default:
      return Status::IOError(message);
  }
}

SendResult RetryingSender::Send(const HttpRequest& request, Repeatable repeatable) const {
  SendResult result;
  bool refreshed = false;
  auto start = clock_->Now();
  for (int attempt = 1;; ++attempt) {
    result.outcome = transport_->Send(request);
    result.attempts = attempt;
    const HttpOutcome& outcome = result.outcome;
    if (outcome.ok() && outcome.response.status == 401 && !refreshed &&
        transport_->RefreshCredentials()) {
      refreshed = true;  // a rejected credential never reached the handler: always safe
      continue;
    }
    result.elapsed = std::chrono::duration_cast<milliseconds>(clock_->Now() - start);
    RetryVerdict verdict =
        DecideRetry(outcome, repeatable, attempt, result.elapsed, policy_, clock_->Random());
    if (!verdict.retry) {
      result.why_not = verdict.why_not;
      return result;
    }
    clock_->Sleep(verdict.delay);
  }
}

}  // namespace mlgitops
