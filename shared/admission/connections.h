// The webhook server's connection bookkeeping: a task queue that bounds open connections (503
// beyond, closed unanswered past a backlog) and a registry of what each connection is doing.
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "admission/server.h"

namespace mlgitops {

/// What the calling thread does with the connections the queue hands it.
enum class ConnectionRole { kServe, kRefuse, kDrop };
ConnectionRole CurrentConnectionRole();

/// cpp-httplib hands each accepted connection to the task queue as one job that handshakes,
/// serves and closes it, and gives the queue no socket it could close itself. So connections over
/// `max_connections` still go to a thread: one answers each a 503 (it runs as kRefuse, under a
/// short deadline), and past `refusal_backlog` another closes them as their handshake starts
/// (kDrop), which never waits on the client.
class ConnectionQueue : public httplib::TaskQueue {
 public:
  /// `waiting` is kept equal to the number of connections waiting for a worker.
  ConnectionQueue(const WebhookServerOptions& options, std::atomic<size_t>* waiting);
  ~ConnectionQueue() override = default;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void Work(std::deque<std::function<void()>>& queue, ConnectionRole role);

  const size_t max_connections_;
  const size_t refusal_backlog_;
  std::atomic<size_t>* waiting_;
  std::mutex mu_;
  std::condition_variable ready_;
  size_t open_ = 0;  // served or waiting in jobs_
  std::deque<std::function<void()>> jobs_;
  std::deque<std::function<void()>> refusals_;
  std::deque<std::function<void()>> drops_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

enum class Phase {
  kReading,   // a handshake or a request on its way in: bounded by the read deadline
  kHandling,  // the request is read; the handler runs or the answer is written
  kIdle,      // kept alive between requests: closed on drain or when others wait for a worker
};

/// Open TLS connections and the phase each is in. Connections are tracked from handshake start
/// until OpenSSL frees them (ex_data free callback), which happens before cpp-httplib closes the
/// socket: under the lock a tracked fd is always ours. Closing is shutdown(2), which wakes the
/// worker's wait with EOF; the worker then closes the socket itself.
class ConnectionRegistry {
 public:
  ConnectionRegistry();
  ~ConnectionRegistry();
  ConnectionRegistry(const ConnectionRegistry&) = delete;
  ConnectionRegistry& operator=(const ConnectionRegistry&) = delete;

  /// A new connection: its handshake and first request must arrive within `read_limit` (as Go's
  /// http.Server counts ReadTimeout from the accept); with `whole_life`, the connection must be
  /// over by then.
  void OnHandshakeStart(SSL* ssl, std::chrono::steady_clock::duration read_limit, bool whole_life);
  /// A TLS record arrived. On an idle connection that is the next request's first byte, which
  /// starts its deadline; cpp-httplib has no hook there, OpenSSL's message callback does.
  void OnRecordRead(const SSL* ssl);
  void SetPhase(const SSL* ssl, Phase phase);
  /// Closes connections whose request has been arriving for longer than their deadline.
  int CutSlowReads();
  /// Closes connections idle for at least `min_idle` that have no request bytes waiting.
  int CloseIdle(std::chrono::steady_clock::duration min_idle);
  void CloseAll();

 private:
  struct Connection {
    int fd = -1;
    Phase phase = Phase::kReading;
    std::chrono::steady_clock::time_point since;  // when the phase began
    std::chrono::steady_clock::duration read_limit{};
    bool whole_life = false;  // stays kReading: the limit bounds the connection, not a request
    bool closed = false;
  };

  Connection* Lookup(const SSL* ssl) const;
  static void Shut(Connection& connection);
  static void OnSslFree(void* parent, void* ptr, CRYPTO_EX_DATA* data, int index, long argl,
                        void* argp);

  int index_ = -1;
  mutable std::mutex mu_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
};

}  // namespace mlgitops
