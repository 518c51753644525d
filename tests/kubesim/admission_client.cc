// Resolving webhook addresses and calling them over HTTPS with the core's transport (OpenSSL,
// verified names, kept-alive connections). Failures are worded as kube-apiserver words them.
#include "kubesim/admission_client.h"

#include <chrono>
#include <cstdlib>

#include "kube/transport.h"
#include "kubesim/encoding.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

constexpr size_t kMaxAnswerBytes = size_t{16} << 20;
// A connection lost this quickly was, in all likelihood, closed by the webhook while idle.
constexpr std::chrono::milliseconds kStaleConnectionWindow{50};

struct ParsedUrl {
  std::string host;  // without IPv6 brackets
  std::string authority;
  std::string path;
};

// Webhook URLs are https://host[:port][/path]: no credentials, query or fragment (the API
// refuses such configurations).
Result<ParsedUrl> ParseWebhookUrl(const std::string& url) {
  const std::string scheme = "https://";
  if (url.compare(0, scheme.size(), scheme) != 0) {
    return Status::InvalidArgument("clientConfig.url " + Quote(url) + " must start with https://");
  }
  if (url.find_first_of("?#@") != std::string::npos) {
    return Status::InvalidArgument("clientConfig.url " + Quote(url) +
                                   " may not hold credentials, a query or a fragment");
  }
  ParsedUrl parsed;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  parsed.authority = rest.substr(0, slash);
  parsed.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!parsed.authority.empty() && parsed.authority[0] == '[') {
    size_t close = parsed.authority.find(']');
    if (close == std::string::npos) return Status::InvalidArgument("bad IPv6 host in " + url);
    parsed.host = parsed.authority.substr(1, close - 1);
  } else {
    parsed.host = parsed.authority.substr(0, parsed.authority.find(':'));
  }
  if (parsed.host.empty())
    return Status::InvalidArgument("clientConfig.url " + url + " has no host");
  return parsed;
}

bool ParsePort(const std::string& text, int* port) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  long value = std::strtol(text.c_str(), nullptr, 10);
  if (value < 1 || value > 65535) return false;
  *port = static_cast<int>(value);
  return true;
}

std::string TimeoutQuery(int timeout_seconds) {
  return "timeout=" + std::to_string(timeout_seconds) + "s";
}

// Go's crypto/x509 wording for the refusals the transport reports.
std::string VerificationReason(const std::string& detail, const std::string& server_name) {
  std::string x509;
  if (detail.find("not signed by a trusted certificate authority") != std::string::npos) {
    x509 = "x509: certificate signed by unknown authority";
  } else if (detail.find("is not valid for the name") != std::string::npos) {
    x509 = "x509: certificate is not valid for " + server_name;
  } else {
    x509 = "x509: " + detail;
  }
  return "tls: failed to verify certificate: " + x509;
}

std::string TransportReason(const HttpOutcome& outcome, const WebhookTarget& target,
                            std::chrono::milliseconds elapsed, int timeout_seconds) {
  std::string address = target.server.substr(std::string("https://").size());
  switch (outcome.failure) {
    case TransportFailure::kConnect:
      return "dial tcp " + address + ": connect: connection refused";
    case TransportFailure::kTlsVerify:
      return VerificationReason(outcome.detail, target.server_name);
    case TransportFailure::kLost:
      // The transport's read timeout is the webhook's timeout: running into it is the
      // deadline of the call, anything earlier is the peer hanging up.
      if (elapsed + std::chrono::milliseconds(100) >= std::chrono::seconds(timeout_seconds)) {
        return "context deadline exceeded";
      }
      return "EOF";
    default:
      return outcome.detail;
  }
}

// client-go's words for a non-2xx answer that is not a metav1.Status.
std::string StatusReason(int status, const std::string& body) {
  auto parsed = ParseJson(body, "webhook answer");
  if (parsed.ok() && parsed->json().IsObject() && GetString(parsed->json(), "kind") == "Status") {
    std::string message = GetString(parsed->json(), "message");
    if (!message.empty()) return message;
  }
  switch (status) {
    case 400:
      return "the server rejected our request for an unknown reason";
    case 401:
      return "the server has asked for the client to provide credentials";
    case 404:
      return "the server could not find the requested resource";
    case 405:
      return "the server does not allow this method on the requested resource";
    case 429:
      return "the server has received too many requests and has asked us to try again later";
    case 503:
      return "the server is currently unable to handle the request";
    case 504:
      return "the server was unable to return a response in the time allotted, but may still "
             "be processing the request";
    default:
      return "an error on the server (" + Quote(body.substr(0, 256)) +
             ") has prevented the request from succeeding";
  }
}

}  // namespace

Result<ServiceEndpoint> ParseServiceEndpoint(const std::string& spec) {
  auto invalid = [&spec](const std::string& why) {
    return Status::InvalidArgument("--service-endpoint " + spec + ": " + why +
                                   " (expected namespace/name[:port]=host:port)");
  };
  size_t eq = spec.find('=');
  size_t slash = spec.find('/');
  if (eq == std::string::npos || slash == std::string::npos || slash > eq) {
    return invalid("malformed");
  }
  ServiceEndpoint endpoint;
  endpoint.namespace_ = spec.substr(0, slash);
  std::string service = spec.substr(slash + 1, eq - slash - 1);
  endpoint.address = spec.substr(eq + 1);
  size_t colon = service.find(':');
  if (colon != std::string::npos) {
    if (!ParsePort(service.substr(colon + 1), &endpoint.port)) return invalid("bad service port");
    service = service.substr(0, colon);
  }
  endpoint.name = service;
  size_t address_colon = endpoint.address.rfind(':');
  int address_port = 0;
  if (endpoint.namespace_.empty() || endpoint.name.empty()) return invalid("empty service");
  if (address_colon == std::string::npos || address_colon == 0 ||
      !ParsePort(endpoint.address.substr(address_colon + 1), &address_port)) {
    return invalid("bad address");
  }
  return endpoint;
}

WebhookClient::WebhookClient() = default;
WebhookClient::~WebhookClient() = default;

void WebhookClient::AddServiceEndpoint(ServiceEndpoint endpoint) {
  std::lock_guard<std::mutex> lock(mu_);
  endpoints_.push_back(std::move(endpoint));
}

std::string WebhookClient::EndpointFor(const WebhookClientConfig& config, const Store& store,
                                       std::string* why) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const ServiceEndpoint& e : endpoints_) {
      if (e.namespace_ == config.service_namespace && e.name == config.service_name &&
          (e.port == 0 || e.port == config.service_port)) {
        return e.address;
      }
    }
  }
  ObjectPtr service = store.Get("/services", config.service_namespace, config.service_name);
  if (!service) {
    *why = "service " + Quote(config.service_name) + " not found";
    return "";
  }
  std::string address = service->annotation(kEndpointAnnotation).value_or("");
  if (address.empty()) *why = "no endpoints available for service " + Quote(config.service_name);
  return address;
}

Result<WebhookTarget> WebhookClient::Resolve(const WebhookClientConfig& config, int timeout_seconds,
                                             const Store& store) const {
  WebhookTarget target;
  if (!config.ca_bundle_base64.empty()) {
    auto pem = Base64Decode(config.ca_bundle_base64);
    if (!pem) return Status::InvalidArgument("could not get REST client: caBundle is not base64");
    if (pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return Status::InvalidArgument(
          "could not get REST client: unable to load root certificates: unable to parse bytes "
          "as PEM block");
    }
    target.ca_pem = *pem;
  }
  bool by_url = !config.url.empty();
  if (by_url == !config.service_name.empty()) {
    return Status::InvalidArgument(
        "could not get REST client: exactly one of clientConfig.url and clientConfig.service "
        "must be set");
  }
  std::string query = "?" + TimeoutQuery(timeout_seconds);
  if (by_url) {
    auto url = ParseWebhookUrl(config.url);
    if (!url.ok())
      return Status::InvalidArgument("could not get REST client: " + url.status().message());
    target.server = "https://" + url->authority;
    target.path = url->path + query;
    target.server_name = url->host;
    target.display_url = config.url + query;
    return target;
  }
  std::string path = config.service_path.empty() ? "/" : config.service_path;
  if (path[0] != '/') path = "/" + path;
  target.server_name = config.service_name + "." + config.service_namespace + ".svc";
  target.display_url =
      "https://" + target.server_name + ":" + std::to_string(config.service_port) + path + query;
  target.path = path + query;
  std::string why;
  std::string address = EndpointFor(config, store, &why);
  if (address.empty()) {
    return Status::NotFound("failed to call webhook: Post " + Quote(target.display_url) + ": " +
                            why);
  }
  target.server = "https://" + address;
  return target;
}

Result<std::shared_ptr<HttpsTransport>> WebhookClient::TransportFor(const WebhookTarget& target,
                                                                    int timeout_seconds) {
  std::string key = target.server + '\n' + target.server_name + '\n' + target.ca_pem + '\n' +
                    std::to_string(timeout_seconds);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = transports_.find(key); it != transports_.end()) return it->second;
  RestConfig config;
  config.cluster_name = "webhook";
  config.server = target.server;
  config.ca_pem = target.ca_pem;
  // The connection goes to a local address; the certificate must name the Service (or URL host).
  if (target.server.find("//" + target.server_name) == std::string::npos &&
      target.server.find("//[" + target.server_name + "]") == std::string::npos) {
    config.tls_server_name = target.server_name;
  }
  TransportOptions options;
  // kubesim admits one write at a time, so one kept-alive connection per webhook is enough.
  options.max_connections = 1;
  options.connect_timeout = std::chrono::seconds(timeout_seconds);
  options.request_timeout = std::chrono::seconds(timeout_seconds);
  options.max_response_bytes = kMaxAnswerBytes;
  options.user_agent = "kube-apiserver-admission";
  auto created = HttpsTransport::Create(config, options);
  if (!created.ok()) return created.status();
  std::shared_ptr<HttpsTransport> transport = std::move(created).value();
  transports_[key] = transport;
  return transport;
}

WebhookAnswer WebhookClient::Post(const WebhookTarget& target, int timeout_seconds,
                                  const std::string& body) {
  auto transport = TransportFor(target, timeout_seconds);
  if (!transport.ok()) return {"could not get REST client: " + transport.status().message(), ""};
  mlgitops::HttpRequest request;
  request.method = "POST";
  request.path = target.path;
  request.body = body;
  request.content_type = "application/json";
  request.accept = "application/json, */*";
  auto start = std::chrono::steady_clock::now();
  HttpOutcome outcome = (*transport)->Send(request);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (outcome.failure == TransportFailure::kLost && elapsed < kStaleConnectionWindow) {
    // The kept-alive connection was closed by the webhook while idle (a restart, a shutdown):
    // Go's transport notices that before reusing it and dials anew, so kubesim does too.
    start = std::chrono::steady_clock::now();
    outcome = (*transport)->Send(request);
    elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
  }
  if (!outcome.ok()) {
    return {"failed to call webhook: Post " + Quote(target.display_url) + ": " +
                TransportReason(outcome, target, elapsed, timeout_seconds),
            ""};
  }
  int status = outcome.response.status;
  if (status < 200 || status > 206) {
    return {"failed to call webhook: " + StatusReason(status, outcome.response.body), ""};
  }
  return {"", std::move(outcome.response.body)};
}

}  // namespace mlgitops::kubesim
