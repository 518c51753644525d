// Bounded connection queue and connection registry of the webhook server (see connections.h).
#include "admission/connections.h"

#include <sys/socket.h>

#include <utility>

namespace mlgitops {

namespace {

using Clock = std::chrono::steady_clock;

thread_local ConnectionRole t_role = ConnectionRole::kServe;

}  // namespace

ConnectionRole CurrentConnectionRole() { return t_role; }

// ---- ConnectionQueue ----

ConnectionQueue::ConnectionQueue(const WebhookServerOptions& options, std::atomic<size_t>* waiting)
    : max_connections_(options.max_connections),
      refusal_backlog_(options.refusal_backlog),
      waiting_(waiting) {
  for (int i = 0; i < options.threads; ++i) {
    workers_.emplace_back([this] { Work(jobs_, ConnectionRole::kServe); });
  }
  workers_.emplace_back([this] { Work(refusals_, ConnectionRole::kRefuse); });
  workers_.emplace_back([this] { Work(drops_, ConnectionRole::kDrop); });
}

void ConnectionQueue::enqueue(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (open_ < max_connections_) {
      ++open_;
      jobs_.push_back(std::move(fn));
      waiting_->store(jobs_.size());
    } else if (refusals_.size() < refusal_backlog_) {
      refusals_.push_back(std::move(fn));
    } else {
      drops_.push_back(std::move(fn));
    }
  }
  ready_.notify_all();
}

void ConnectionQueue::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ConnectionQueue::Work(std::deque<std::function<void()>>& queue, ConnectionRole role) {
  t_role = role;
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_.wait(lock, [&] { return !queue.empty() || stopping_; });
      if (queue.empty()) return;  // stopping, and nothing left to finish
      job = std::move(queue.front());
      queue.pop_front();
      if (role == ConnectionRole::kServe) waiting_->store(queue.size());
    }
    job();  // returns once the connection is closed
    if (role == ConnectionRole::kServe) {
      std::lock_guard<std::mutex> lock(mu_);
      --open_;
    }
  }
}

// ---- ConnectionRegistry ----

ConnectionRegistry::ConnectionRegistry() {
  index_ = SSL_get_ex_new_index(0, this, nullptr, nullptr, &ConnectionRegistry::OnSslFree);
}

ConnectionRegistry::~ConnectionRegistry() { CRYPTO_free_ex_index(CRYPTO_EX_INDEX_SSL, index_); }

void ConnectionRegistry::OnHandshakeStart(SSL* ssl, Clock::duration read_limit, bool whole_life) {
  std::lock_guard<std::mutex> lock(mu_);
  if (SSL_get_ex_data(ssl, index_) != nullptr) return;  // TLS 1.3 post-handshake messages
  auto connection = std::make_unique<Connection>();
  connection->fd = SSL_get_fd(ssl);
  connection->phase = Phase::kReading;
  connection->since = Clock::now();
  connection->read_limit = read_limit;
  connection->whole_life = whole_life;
  SSL_set_ex_data(ssl, index_, connection.get());
  connections_[connection.get()] = std::move(connection);
}

void ConnectionRegistry::OnRecordRead(const SSL* ssl) {
  std::lock_guard<std::mutex> lock(mu_);
  Connection* connection = Lookup(ssl);
  if (connection == nullptr || connection->whole_life || connection->phase != Phase::kIdle) {
    return;
  }
  connection->phase = Phase::kReading;
  connection->since = Clock::now();
}

void ConnectionRegistry::SetPhase(const SSL* ssl, Phase phase) {
  std::lock_guard<std::mutex> lock(mu_);
  Connection* connection = Lookup(ssl);
  if (connection == nullptr || connection->whole_life) return;
  connection->phase = phase;
  connection->since = Clock::now();
}

int ConnectionRegistry::CutSlowReads() {
  std::lock_guard<std::mutex> lock(mu_);
  int cut = 0;
  const Clock::time_point now = Clock::now();
  for (auto& [key, connection] : connections_) {
    if (connection->closed || connection->phase != Phase::kReading ||
        now - connection->since <= connection->read_limit) {
      continue;
    }
    Shut(*connection);
    ++cut;
  }
  return cut;
}

int ConnectionRegistry::CloseIdle(Clock::duration min_idle) {
  std::lock_guard<std::mutex> lock(mu_);
  int closed = 0;
  const Clock::time_point now = Clock::now();
  for (auto& [key, connection] : connections_) {
    if (connection->phase != Phase::kIdle || connection->closed ||
        now - connection->since < min_idle) {
      continue;
    }
    char byte;
    if (recv(connection->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0) continue;  // a request
    Shut(*connection);
    ++closed;
  }
  return closed;
}

void ConnectionRegistry::CloseAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, connection] : connections_) Shut(*connection);
}

ConnectionRegistry::Connection* ConnectionRegistry::Lookup(const SSL* ssl) const {
  if (ssl == nullptr) return nullptr;
  return static_cast<Connection*>(SSL_get_ex_data(ssl, index_));
}

void ConnectionRegistry::Shut(Connection& connection) {
  if (connection.closed) return;
  connection.closed = true;
  ::shutdown(connection.fd, SHUT_RDWR);
}

void ConnectionRegistry::OnSslFree(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*data*/,
                                   int /*index*/, long /*argl*/, void* argp) {
  if (ptr == nullptr) return;
  auto* self = static_cast<ConnectionRegistry*>(argp);
  std::lock_guard<std::mutex> lock(self->mu_);
  self->connections_.erase(static_cast<Connection*>(ptr));
}

}  // namespace mlgitops
