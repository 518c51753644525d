#include "admission/server.h"

#include <httplib.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "admission/connections.h"
#include "admission/tls_context.h"

namespace mlgitops {
namespace {

using Clock = std::chrono::steady_clock;

// ---- Structured logs: one JSON object per line on stderr. Never a body, key or token. ----

class LogLine {
 public:
  explicit LogLine(const char* event) : writer_(buffer_) {
    writer_.StartObject();
    Field("time", NowRfc3339());
    Field("event", event);
  }
  LogLine& Field(const char* key, const std::string& value) {
    writer_.Key(key);
    writer_.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  LogLine& List(const char* key, const std::vector<std::string>& values) {
    writer_.Key(key);
    writer_.StartArray();
    for (const std::string& value : values) {
      writer_.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    }
    writer_.EndArray();
    return *this;
  }
  ~LogLine() {
    writer_.EndObject();
    std::string line(buffer_.GetString(), buffer_.GetSize());
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);  // one write keeps lines whole
  }

 private:
  static std::string NowRfc3339() {
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis));
    return text;
  }

  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

// ---- Watched files: a change of inode, size or mtime (Secret volumes swap a symlink). ----

struct FileStamp {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;

  static FileStamp Of(const std::string& path) {
    FileStamp stamp;
    struct stat info {};
    if (path.empty() || stat(path.c_str(), &info) != 0) return stamp;
    stamp.exists = true;
    stamp.device = info.st_dev;
    stamp.inode = info.st_ino;
    stamp.size = info.st_size;
    stamp.mtime_ns = static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
    return stamp;
  }
  bool operator==(const FileStamp& other) const {
    return exists == other.exists && device == other.device && inode == other.inode &&
           size == other.size && mtime_ns == other.mtime_ns;
  }
  bool operator!=(const FileStamp& other) const { return !(*this == other); }
};

bool IsAdmissionPath(const std::string& path) { return path == "/validate" || path == "/mutate"; }

// kube-apiserver sends AdmissionReviews as application/json; parameters (charset) may follow, and
// media types compare case-insensitively (RFC 9110 8.3.1).
bool IsJsonMediaType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  const size_t first = type.find_first_not_of(" \t");
  if (first == std::string::npos) return false;
  type = type.substr(first, type.find_last_not_of(" \t") - first + 1);
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return type == "application/json";
}

const char* EndpointName(AdmissionEndpoint endpoint) {
  return endpoint == AdmissionEndpoint::kMutate ? "mutate" : "validate";
}

std::string ShortReason(int status, size_t max_body_bytes) {
  switch (status) {
    case 400:
      return "bad request\n";
    case 404:
      return "not found: the webhook serves POST /mutate, POST /validate, GET /healthz, "
             "/readyz, /metrics\n";
    case 405:
      return "method not allowed\n";
    case 413:
      return "request body exceeds " + std::to_string(max_body_bytes) + " bytes\n";
    case 415:
      return "unsupported media type: /mutate and /validate take Content-Type application/json\n";
    default:
      return "request failed with HTTP " + std::to_string(status) + "\n";
  }
}

}  // namespace

struct WebhookServer::Impl {
  WebhookServerOptions options;
  AdmissionHandlerFactory factory;
  WebhookMetrics metrics;
  ServerTlsContext tls;
  ConnectionRegistry connections;
  std::atomic<size_t> waiting_connections{0};
  std::unique_ptr<httplib::SSLServer> http;
  int port = 0;

  std::mutex handler_mu;
  std::shared_ptr<const AdmissionHandlerFn> handler;

  std::mutex watch_mu;  // guards the stamps and serialises reloads
  FileStamp cert_stamp, key_stamp, config_stamp;

  std::atomic<bool> draining{false};
  std::mutex lifecycle_mu;  // guards the three flags below
  bool serve_started = false;
  bool serving_done = false;
  std::condition_variable lifecycle_cv;
  bool watcher_stop = false;

  Impl(const WebhookServerOptions& options_in, AdmissionHandlerFactory factory_in,
       std::shared_ptr<const TlsIdentity> identity)
      : options(options_in), factory(std::move(factory_in)), tls(std::move(identity)) {}

  std::shared_ptr<const AdmissionHandlerFn> CurrentHandler() {
    std::lock_guard<std::mutex> lock(handler_mu);
    return handler;
  }
  void SetHandler(AdmissionHandlerFn fn) {
    auto next = std::make_shared<const AdmissionHandlerFn>(std::move(fn));
    std::lock_guard<std::mutex> lock(handler_mu);
    handler = std::move(next);
  }

  Status BuildServer() {
    ServerTlsOptions tls_options;
    tls_options.client_ca_file = options.client_ca_file;
    Status configured;
    http = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      configured = tls.Configure(&ctx, tls_options);
      SSL_CTX_set_app_data(&ctx, this);
      SSL_CTX_set_info_callback(&ctx, &Impl::OnTlsInfo);
      SSL_CTX_set_msg_callback(&ctx, &Impl::OnTlsMessage);
      SSL_CTX_set_msg_callback_arg(&ctx, this);
      return configured.ok();
    });
    if (!configured.ok()) return configured;
    if (!http->is_valid()) return Status::Internal("cannot create the TLS server context");
    http->new_task_queue = [this] { return new ConnectionQueue(options, &waiting_connections); };
    http->set_tcp_nodelay(true);
    http->set_keep_alive_max_count(options.keep_alive_max_requests);
    http->set_keep_alive_timeout(options.keep_alive_timeout.count());
    http->set_read_timeout(options.read_write_timeout.count());
    http->set_write_timeout(options.read_write_timeout.count());
    http->set_payload_max_length(options.max_body_bytes);
    http->set_pre_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { return PreRoute(req, res); });
    // Called once the answer is written: the connection waits for its next request.
    http->set_logger([this](const httplib::Request& req, const httplib::Response&) {
      connections.SetPhase(req.ssl, Phase::kIdle);
    });
    http->set_error_handler([this](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) {
        res.set_content(ShortReason(res.status, options.max_body_bytes), "text/plain");
      }
    });
    http->set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
          res.status = 500;
          res.set_content("internal error\n", "text/plain");
        });
    Route("/mutate", AdmissionEndpoint::kMutate);
    Route("/validate", AdmissionEndpoint::kValidate);
    http->Get("/healthz", Handling([](const httplib::Request&, httplib::Response& res) {
                res.set_content("ok\n", "text/plain");
              }));
    http->Get("/readyz", Handling([this](const httplib::Request&, httplib::Response& res) {
                const bool ready = !draining.load() && tls.identity() != nullptr;
                res.status = ready ? 200 : 503;
                res.set_content(ready ? "ok\n" : "draining\n", "text/plain");
              }));
    http->Get("/metrics", Handling([this](const httplib::Request&, httplib::Response& res) {
                res.set_content(metrics.Render(), "text/plain; version=0.0.4");
              }));
    for (const char* path : {"/healthz", "/readyz", "/metrics"}) RefuseOtherMethods(path, "GET");
    return Status::OK();
  }

  static void OnTlsInfo(const SSL* ssl, int where, int /*ret*/) {
    if ((where & SSL_CB_HANDSHAKE_START) == 0) return;
    auto* self = static_cast<Impl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    if (CurrentConnectionRole() == ConnectionRole::kDrop) {
      // Past the refusal backlog: closed before the handshake reads a byte, so never waits.
      ::shutdown(SSL_get_fd(ssl), SHUT_RDWR);
      self->metrics.RecordShed("refusal_backlog");
      return;
    }
    if (CurrentConnectionRole() == ConnectionRole::kRefuse) {
      // cpp-httplib 0.11 keeps a connection alive whatever the response's Connection header
      // says, so a refused client that stays silent after its 503 would hold the one refusal
      // thread: its whole life is bounded instead.
      self->connections.OnHandshakeStart(
          const_cast<SSL*>(ssl),
          std::min(self->options.refusal_read_timeout, self->options.request_read_timeout),
          /*whole_life=*/true);
      return;
    }
    self->connections.OnHandshakeStart(const_cast<SSL*>(ssl), self->options.request_read_timeout,
                                       /*whole_life=*/false);
  }

  static void OnTlsMessage(int write_p, int /*version*/, int content_type, const void* /*buf*/,
                           size_t /*len*/, SSL* ssl, void* arg) {
    if (write_p != 0 || content_type != SSL3_RT_HEADER) return;
    static_cast<Impl*>(arg)->connections.OnRecordRead(ssl);
  }

  /// `handler` run once the request is read, so the read deadline stops counting.
  httplib::Server::Handler Handling(httplib::Server::Handler handler) {
    return
        [this, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
          connections.SetPhase(req.ssl, Phase::kHandling);
          handler(req, res);
        };
  }

  // Runs after the headers are read and before the body is: refusals that need no body.
  httplib::Server::HandlerResponse PreRoute(const httplib::Request& req, httplib::Response& res) {
    if (CurrentConnectionRole() == ConnectionRole::kRefuse) {
      metrics.RecordShed("over_limit");
      res.set_header("Retry-After", "1");
      return Refuse(req, res, 503,
                    "webhook overloaded: too many open connections (limit " +
                        std::to_string(options.max_connections) + ")\n");
    }
    if (req.method == "POST" && IsAdmissionPath(req.path) &&
        !IsJsonMediaType(req.get_header_value("Content-Type"))) {
      return Refuse(req, res, 415, ShortReason(415, options.max_body_bytes));
    }
    // Refuse a declared oversize body before reading any of it.
    if (req.get_header_value_count("Content-Length") > 0) {
      const std::string declared = req.get_header_value("Content-Length");
      if (declared.size() > 15 || std::stoull("0" + declared) > options.max_body_bytes) {
        return Refuse(req, res, 413, ShortReason(413, options.max_body_bytes));
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  // The body, if any, stays unread, so the connection cannot carry another request.
  httplib::Server::HandlerResponse Refuse(const httplib::Request& req, httplib::Response& res,
                                          int status, const std::string& reason) {
    connections.SetPhase(req.ssl, Phase::kHandling);
    res.status = status;
    res.set_header("Connection", "close");
    res.set_content(reason, "text/plain");
    return httplib::Server::HandlerResponse::Handled;
  }

  void Route(const std::string& path, AdmissionEndpoint endpoint) {
    http->Post(path,
               Handling([this, endpoint](const httplib::Request& req, httplib::Response& res) {
                 Admit(endpoint, req, res);
               }));
    RefuseOtherMethods(path, "POST");
  }

  void RefuseOtherMethods(const std::string& path, const char* allowed) {
    auto refuse = Handling([allowed, this](const httplib::Request&, httplib::Response& res) {
      res.status = 405;
      res.set_header("Allow", allowed);
      res.set_content(ShortReason(405, options.max_body_bytes), "text/plain");
    });
    if (std::string(allowed) != "GET") http->Get(path, refuse);
    if (std::string(allowed) != "POST") http->Post(path, refuse);
    http->Put(path, refuse);
    http->Patch(path, refuse);
    http->Delete(path, refuse);
    http->Options(path, refuse);
  }

  void Admit(AdmissionEndpoint endpoint, const httplib::Request& req, httplib::Response& res) {
    const Clock::time_point start = Clock::now();
    AdmissionOutcome outcome;
    std::shared_ptr<const AdmissionHandlerFn> current = CurrentHandler();
    try {
      outcome = (*current)(endpoint, req.body);
    } catch (const std::exception& e) {
      outcome = InternalError(e.what());
    } catch (...) {
      outcome = InternalError("unknown exception");
    }
    res.status = outcome.http_status;
    res.set_content(outcome.body, outcome.content_type.c_str());
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    Record(endpoint, outcome, seconds);
  }

  static AdmissionOutcome InternalError(const std::string& what) {
    LogLine("handler_error").Field("message", what);
    AdmissionOutcome outcome;
    outcome.http_status = 500;
    outcome.body = "internal error in the admission handler\n";
    outcome.content_type = "text/plain";
    outcome.result = "error";
    return outcome;
  }

  void Record(AdmissionEndpoint endpoint, const AdmissionOutcome& outcome, double seconds) {
    metrics.RecordRequest(EndpointName(endpoint), outcome.operation, outcome.result, seconds);
    for (const std::string& rule : outcome.denied_rules) metrics.RecordDenial(rule);
    for (const std::string& rule : outcome.warned_rules) metrics.RecordWarning(rule);
    if (outcome.result == "denied") {
      LogLine("denied")
          .Field("endpoint", EndpointName(endpoint))
          .List("rules", outcome.denied_rules)
          .Field("object", outcome.object)
          .Field("operation", outcome.operation)
          .Field("message", outcome.message);
    }
  }

  // ---- Reloads ----

  void RememberStamps() {
    std::lock_guard<std::mutex> lock(watch_mu);
    cert_stamp = FileStamp::Of(options.tls_cert_file);
    key_stamp = FileStamp::Of(options.tls_key_file);
    config_stamp = FileStamp::Of(options.config_file);
  }

  void CheckForChanges() {
    std::lock_guard<std::mutex> lock(watch_mu);
    FileStamp cert = FileStamp::Of(options.tls_cert_file);
    FileStamp key = FileStamp::Of(options.tls_key_file);
    if (cert != cert_stamp || key != key_stamp) {
      cert_stamp = cert;
      key_stamp = key;
      ReloadIdentity();
    }
    if (!options.config_file.empty()) {
      FileStamp config = FileStamp::Of(options.config_file);
      if (config != config_stamp) {
        config_stamp = config;
        ReloadConfig();
      }
    }
  }

  void ReloadIdentity() {
    auto loaded = TlsIdentity::Load(options.tls_cert_file, options.tls_key_file);
    metrics.RecordCertReload(loaded.ok());
    if (!loaded.ok()) {
      // A half-written pair is common during rotation; the next change triggers a retry.
      LogLine("cert_reload_failed")
          .Field("message", loaded.status().message())
          .Field("kept", tls.identity()->description());
      return;
    }
    tls.SetIdentity(*loaded);
    LogLine("cert_reloaded").Field("certificate", (*loaded)->description());
  }

  void ReloadConfig() {
    Result<AdmissionHandlerFn> built = BuildHandler();
    metrics.RecordConfigReload(built.ok());
    if (!built.ok()) {
      LogLine("config_reload_failed")
          .Field("file", options.config_file)
          .Field("message", built.status().message());
      return;
    }
    SetHandler(std::move(*built));
    LogLine("config_reloaded").Field("file", options.config_file);
  }

  Result<AdmissionHandlerFn> BuildHandler() {
    try {
      Result<AdmissionHandlerFn> built = factory(options.config_file);
      if (built.ok() && !*built) return Status::Internal("the handler factory returned nothing");
      return built;
    } catch (const std::exception& e) {
      return Status::Internal(std::string("building the admission handler: ") + e.what());
    }
  }

  // One thread polls the files and, when connections wait for a worker, frees workers held by
  // idle keep-alive connections (the client reconnects; a waiting one gets served).
  void WatchLoop() {
    constexpr auto kTick = std::chrono::milliseconds(100);
    constexpr auto kIdleBeforeEviction = std::chrono::seconds(1);
    Clock::time_point next_check = Clock::now() + options.reload_poll_interval;
    std::unique_lock<std::mutex> lock(lifecycle_mu);
    while (!lifecycle_cv.wait_for(lock, kTick, [this] { return watcher_stop; })) {
      lock.unlock();
      if (waiting_connections.load() > 0) connections.CloseIdle(kIdleBeforeEviction);
      if (const int cut = connections.CutSlowReads(); cut > 0) {
        metrics.RecordShed("read_timeout", static_cast<uint64_t>(cut));
        LogLine("slow_requests_cut").Field("connections", std::to_string(cut));
      }
      if (Clock::now() >= next_check) {
        CheckForChanges();
        next_check = Clock::now() + options.reload_poll_interval;
      }
      lock.lock();
    }
  }
};

Result<std::unique_ptr<WebhookServer>> WebhookServer::Create(const WebhookServerOptions& options,
                                                             AdmissionHandlerFactory factory) {
  if (options.threads < 1) return Status::InvalidArgument("--threads must be at least 1");
  if (options.max_connections < 1) {
    return Status::InvalidArgument("--max-connections must be at least 1");
  }
  if (options.request_read_timeout.count() <= 0 || options.refusal_read_timeout.count() <= 0) {
    return Status::InvalidArgument("--request-read-timeout must be positive");
  }
  auto identity = TlsIdentity::Load(options.tls_cert_file, options.tls_key_file);
  if (!identity.ok()) return identity.status();
  auto impl = std::make_unique<Impl>(options, std::move(factory), *identity);
  impl->RememberStamps();
  Result<AdmissionHandlerFn> handler = impl->BuildHandler();
  if (!handler.ok()) return handler.status().Prefixed("policy config " + options.config_file);
  impl->SetHandler(std::move(*handler));
  Status built = impl->BuildServer();
  if (!built.ok()) return built;
  if (options.port == 0) {
    impl->port = impl->http->bind_to_any_port(options.bind_address);
  } else if (impl->http->bind_to_port(options.bind_address, options.port)) {
    impl->port = options.port;
  }
  if (impl->port <= 0) {
    return Status::IOError("cannot listen on " + options.bind_address + ":" +
                           std::to_string(options.port));
  }
  LogLine("serving")
      .Field("address", options.bind_address + ":" + std::to_string(impl->port))
      .Field("certificate", (*identity)->description())
      .Field("client_ca", options.client_ca_file.empty() ? "none" : options.client_ca_file);
  return std::unique_ptr<WebhookServer>(new WebhookServer(std::move(impl)));
}

WebhookServer::WebhookServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebhookServer::~WebhookServer() { Shutdown(); }

int WebhookServer::port() const { return impl_->port; }

const WebhookMetrics& WebhookServer::metrics() const { return impl_->metrics; }

void WebhookServer::CheckForChanges() { impl_->CheckForChanges(); }

Status WebhookServer::Serve() {
  {
    std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
    if (impl_->draining.load()) return Status::OK();
    impl_->serve_started = true;
  }
  std::thread watcher([this] { impl_->WatchLoop(); });
  // listen_after_bind returns once stop() closed the listener and every worker has finished.
  impl_->http->listen_after_bind();
  {
    std::lock_guard<std::mutex> lock(impl_->lifecycle_mu);
    impl_->watcher_stop = true;
    impl_->serving_done = true;
  }
  impl_->lifecycle_cv.notify_all();
  watcher.join();
  return Status::OK();
}

void WebhookServer::Shutdown() {
  std::unique_lock<std::mutex> lock(impl_->lifecycle_mu);
  if (impl_->draining.exchange(true) || !impl_->serve_started) return;
  LogLine("draining").Field("timeout_ms", std::to_string(impl_->options.drain_timeout.count()));
  if (impl_->options.shutdown_delay.count() > 0) {
    lock.unlock();
    std::this_thread::sleep_for(impl_->options.shutdown_delay);
    lock.lock();
  }
  // Serve() may not have reached its accept loop yet; stop() only acts on a running one.
  while (!impl_->serving_done && !impl_->http->is_running()) {
    impl_->lifecycle_cv.wait_for(lock, std::chrono::milliseconds(1));
  }
  if (!impl_->serving_done) impl_->http->stop();
  const Clock::time_point deadline = Clock::now() + impl_->options.drain_timeout;
  while (!impl_->serving_done) {
    if (Clock::now() >= deadline) {
      impl_->connections.CloseAll();
    } else {
      impl_->connections.CloseIdle(std::chrono::milliseconds(0));
    }
    impl_->lifecycle_cv.wait_for(lock, std::chrono::milliseconds(20));
  }
  LogLine("drained");
}

}  // namespace mlgitops
