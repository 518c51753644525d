// GitHttpServer: each request handed to git-http-backend as CGI, its answer relayed.
#include "git_http_server.h"

#include <chrono>
#include <cstdlib>

#include "object/base64.h"

namespace mlgitops::testing {

GitHttpServer::GitHttpServer(std::string project_root, std::string user, std::string password)
    : root_(std::move(project_root)),
      expected_auth_("Basic " + Base64Encode(user + ":" + password)) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); };
  server_.Get(".*", handler);
  server_.Post(".*", handler);
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

GitHttpServer::~GitHttpServer() {
  server_.stop();
  thread_.join();
}

std::string GitHttpServer::url(const std::string& repo) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/" + repo;
}

void GitHttpServer::Serve(const httplib::Request& req, httplib::Response& res) {
  ++requests_;
  if (req.get_header_value("Authorization") != expected_auth_) {
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic realm=\"git\"");
    return;
  }
  ProcessRequest cgi;
  cgi.argv = {kGitHttpBackend};
  cgi.env = {
      {"GIT_PROJECT_ROOT", root_},
      {"GIT_HTTP_EXPORT_ALL", "1"},
      {"PATH_INFO", req.path},
      {"QUERY_STRING", req.has_param("service") ? "service=" + req.get_param_value("service") : ""},
      {"REQUEST_METHOD", req.method},
      {"CONTENT_TYPE", req.get_header_value("Content-Type")},
      {"CONTENT_LENGTH", std::to_string(req.body.size())},
      {"REMOTE_USER", "tester"}};
  cgi.stdin_text = req.body;
  cgi.max_output_bytes = size_t{64} << 20;
  cgi.timeout_ms = 10000;
  auto out = runner_.Run(cgi);
  if (!out.ok() || !out->succeeded()) {
    res.status = 500;
    return;
  }
  const std::string& text = out->stdout_text;
  size_t end = text.find("\r\n\r\n");
  size_t skip = 4;
  if (end == std::string::npos) {
    end = text.find("\n\n");
    skip = 2;
  }
  std::string headers = text.substr(0, end);
  std::string content_type = "text/plain";
  res.status = 200;
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t eol = headers.find('\n', pos);
    if (eol == std::string::npos) eol = headers.size();
    std::string line = headers.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = eol + 1;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon), value = line.substr(colon + 2);
    if (name == "Status") {
      res.status = std::atoi(value.c_str());
    } else if (name == "Content-Type") {
      content_type = value;
    } else {
      res.set_header(name, value);
    }
  }
  res.set_content(end == std::string::npos ? "" : text.substr(end + skip), content_type);
}

}  // namespace mlgitops::testing
