// cpp-httplib wiring. Every request passes through Dispatch(): health checks skip
// authentication and faults; everything else is authenticated (401), impersonated and
// authorized (403) as kube-apiserver's filter chain does, in that order.
#include "kubesim/server.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <strings.h>

#include <cctype>
#include <chrono>
#include <thread>

namespace mlgitops::kubesim {

namespace {

constexpr size_t kMaxBodyBytes = 3u << 20;  // kube-apiserver's request body limit
constexpr size_t kMaxPathBytes = 8192;
constexpr size_t kWorkerThreads = 64;  // each open watch holds one

// Any client certificate is accepted during the handshake and verified by the authenticator
// (kube-apiserver's RequestClientCert): a bad one is a 401, not a failed handshake.
int AcceptAnyClientCertificate(int, X509_STORE_CTX*) { return 1; }

HeaderValues ImpersonationHeaders(const httplib::Request& req) {
  HeaderValues out;
  for (const auto& [name, value] : req.headers) {
    if (name.size() < 12 || strncasecmp(name.c_str(), "impersonate-", 12) != 0) continue;
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.emplace(lower, value);
  }
  return out;
}

void WriteResponse(const HttpResponse& response, httplib::Response& res) {
  res.status = response.status;
  for (const auto& [name, value] : response.headers) res.set_header(name.c_str(), value);
  if (!response.stream) {
    res.set_content(response.body, response.content_type.c_str());
    return;
  }
  std::shared_ptr<ResponseStream> stream = response.stream;
  res.set_chunked_content_provider(response.content_type.c_str(),
                                   [stream](size_t, httplib::DataSink& sink) {
                                     std::string chunk;
                                     bool more = stream->Next(&chunk);
                                     if (!chunk.empty() && !sink.write(chunk.data(), chunk.size()))
                                       return false;
                                     if (!more) sink.done();
                                     return true;
                                   });
}

}  // namespace

class HttpsServer::Impl {
 public:
  Impl(ApiServer* api, const ServingCertificates& certs, const Authenticator* authenticator,
       AuditLog* audit, FaultInjector* faults)
      : api_(api),
        authenticator_(authenticator),
        audit_(audit),
        faults_(faults),
        server_(certs.server_cert.get(), certs.server_key.get()) {
    SSL_CTX_set_min_proto_version(server_.ssl_context(), TLS1_2_VERSION);
    if (authenticator_->client_ca()) {
      static const unsigned char kSessionContext[] = "kubesim";
      SSL_CTX_set_session_id_context(server_.ssl_context(), kSessionContext,
                                     sizeof(kSessionContext) - 1);
      SSL_CTX_set_verify(server_.ssl_context(), SSL_VERIFY_PEER, AcceptAnyClientCertificate);
    }
    server_.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    server_.set_payload_max_length(kMaxBodyBytes);
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(1000);
    server_.set_keep_alive_timeout(30);
    server_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      if (req.path.size() <= kMaxPathBytes) return httplib::Server::HandlerResponse::Unhandled;
      res.status = 414;
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    });
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Dispatch(req, res);
    };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    server_.Patch(".*", handler);
    server_.Delete(".*", handler);
  }

  Result<int> Bind(int port) {
    if (!server_.is_valid()) return Status::Internal("TLS server setup failed");
    if (port == 0) {
      int bound = server_.bind_to_any_port("127.0.0.1");
      if (bound <= 0) return Status::IOError("cannot bind 127.0.0.1 to a free port");
      return bound;
    }
    if (!server_.bind_to_port("127.0.0.1", port)) {
      return Status::IOError("cannot bind 127.0.0.1:" + std::to_string(port) +
                             " (in use, or not permitted)");
    }
    return port;
  }

  void Serve() { server_.listen_after_bind(); }
  void Stop() { server_.stop(); }

 private:
  void Dispatch(const httplib::Request& req, httplib::Response& res) {
    auto started = std::chrono::steady_clock::now();
    HttpRequest request;
    request.method = req.method;
    request.path = req.path;
    request.query = req.params;
    request.body = req.body;
    request.content_type = req.get_header_value("Content-Type");
    request.accept = req.get_header_value("Accept");
    request.user_agent = req.get_header_value("User-Agent");
    RequestInfo info = ParseRequestInfo(request.method, request.path, request.QueryBool("watch"));
    AuditRecord record;
    record.method = req.method;
    record.uri = req.target.empty() ? req.path : req.target;
    record.user_agent = request.user_agent;

    HttpResponse response = Respond(req, request, info, &record, res);
    if (record.fault != "drop") WriteResponse(response, res);
    if (info.name.empty()) info.name = response.created_name;
    record.code = res.status;
    record.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    if (audit_) audit_->Write(info, record);
  }

  HttpResponse Respond(const httplib::Request& req, HttpRequest& request, const RequestInfo& info,
                       AuditRecord* record, httplib::Response& res) {
    if (IsHealthPath(request.path)) return api_->Handle(request, info);
    X509* peer = nullptr;
    if (req.ssl && authenticator_->client_ca()) {
      peer = SSL_get1_peer_certificate(const_cast<SSL*>(req.ssl));
    }
    auto user = authenticator_->Authenticate(req.get_header_value("Authorization"), peer);
    if (peer) X509_free(peer);
    if (!user.ok()) return ErrorResponse(user.error());
    record->user = user->name;
    auto acting = Impersonate(*user, ImpersonationHeaders(req), api_->rbac());
    if (!acting.ok()) return ErrorResponse(acting.error());
    if (acting->name != user->name) record->impersonated_user = acting->name;
    request.user = std::move(*acting);
    AuthzAttributes attrs = AttributesFor(request.user, info);
    if (!info.is_resource_request) {
      attrs.verb = request.method;  // non-resource verbs are the lowercased HTTP method
      for (char& c : attrs.verb) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    AuthzDecision decision = api_->rbac().Authorize(attrs);
    if (!decision.allowed) return ErrorResponse(ForbiddenFor(attrs, decision.reason));
    if (faults_ && faults_->Applies(info.verb)) {
      if (faults_->spec().latency_ms > 0) {
        record->fault = "latency";
        std::this_thread::sleep_for(std::chrono::milliseconds(faults_->spec().latency_ms));
      }
      switch (faults_->Decide()) {
        case FaultAction::kTooManyRequests:
          record->fault = "429";
          return ErrorResponse(TooManyRequests(faults_->spec().retry_after_seconds));
        case FaultAction::kInternalError:
          record->fault = "500";
          return ErrorResponse(InternalError("kubesim injected a server error"));
        case FaultAction::kDrop:
          record->fault = "drop";
          // Headers go out, then the connection is cut before any body: the client sees an
          // unexpected EOF, as with a proxy or apiserver dying mid-response.
          res.status = 200;
          res.set_chunked_content_provider("application/json",
                                           [](size_t, httplib::DataSink&) { return false; });
          return HttpResponse();
        case FaultAction::kNone:
          break;
      }
    }
    return api_->Handle(request, info);
  }

  ApiServer* api_;
  const Authenticator* authenticator_;
  AuditLog* audit_;
  FaultInjector* faults_;
  httplib::SSLServer server_;
};

HttpsServer::HttpsServer(ApiServer* api, const ServingCertificates& certs,
                         const Authenticator* authenticator, AuditLog* audit, FaultInjector* faults)
    : impl_(std::make_unique<Impl>(api, certs, authenticator, audit, faults)) {}

HttpsServer::~HttpsServer() = default;
Result<int> HttpsServer::Bind(int port) { return impl_->Bind(port); }
void HttpsServer::Serve() { impl_->Serve(); }
void HttpsServer::Stop() { impl_->Stop(); }

}  // namespace mlgitops::kubesim
