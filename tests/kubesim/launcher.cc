// Child-process management and a small HTTPS client for talking to kubesim in tests.
#include "kubesim/launcher.h"

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "kube/kubeconfig.h"
#include "kubesim/encoding.h"
#include "object/object.h"
#include "object/yaml_loader.h"

namespace mlgitops::kubesim {

namespace {

const JsonValue* FirstItem(const JsonValue& root, const char* list, const char* field) {
  auto it = root.FindMember(list);
  if (it == root.MemberEnd() || !it->value.IsArray() || it->value.Empty()) return nullptr;
  const JsonValue& first = it->value[0];
  auto inner = first.FindMember(field);
  return inner == first.MemberEnd() ? nullptr : &inner->value;
}

}  // namespace

Result<std::unique_ptr<KubesimProcess>> KubesimProcess::Start(const LaunchOptions& options) {
  std::unique_ptr<KubesimProcess> process(new KubesimProcess());
  process->kubeconfig_path_ = options.work_dir + "/kubeconfig";
  process->log_path_ = options.work_dir + "/kubesim.log";
  ::unlink(process->kubeconfig_path_.c_str());

  std::vector<std::string> args = {options.binary, "--port", std::to_string(options.port),
                                   "--kubeconfig", process->kubeconfig_path_};
  if (!options.audit_log.empty()) {
    args.push_back("--audit-log");
    args.push_back(options.work_dir + "/" + options.audit_log);
  }
  if (!options.faults.empty()) {
    args.push_back("--faults");
    args.push_back(options.faults);
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  if (!options.controllers) args.push_back("--no-controllers");
  if (!options.authorization_mode.empty()) {
    args.push_back("--authorization-mode=" + options.authorization_mode);
  }
  if (!options.step_delay.empty()) {
    args.push_back("--step-delay");
    args.push_back(options.step_delay);
  }
  int log_fd = ::open(process->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::IOError("cannot create " + process->log_path_);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return Status::IOError("fork failed");
  }
  if (pid == 0) {
    // If the test process dies (a crash, an abort), kubesim must not outlive it.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  process->pid_ = pid;

  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.ready_timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      process->pid_ = -1;
      return Status::Internal("kubesim exited before it was ready (see " + process->log_path_ +
                              ")");
    }
    struct stat st;
    if (::stat(process->kubeconfig_path_.c_str(), &st) == 0) {
      Status read = process->ReadKubeconfig();
      if (!read.ok()) return read;
      return process;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Internal("kubesim did not write " + process->kubeconfig_path_ + " within " +
                          std::to_string(options.ready_timeout_ms) + " ms");
}

Status KubesimProcess::ReadKubeconfig() {
  auto text = ReadFileLimited(kubeconfig_path_, 1 << 20, kubeconfig_path_);
  if (!text.ok()) return text.status();
  auto parsed = ParseYamlStream(*text, kubeconfig_path_);
  if (!parsed.ok() || parsed->empty()) return Status::Internal("cannot parse " + kubeconfig_path_);
  const JsonValue& root = (*parsed)[0].json();
  const JsonValue* cluster = FirstItem(root, "clusters", "cluster");
  const JsonValue* user = FirstItem(root, "users", "user");
  if (!cluster || !user) return Status::Internal(kubeconfig_path_ + " lacks a cluster or user");
  server_ = GetString(*cluster, "server");
  token_ = GetString(*user, "token");
  auto ca = Base64Decode(GetString(*cluster, "certificate-authority-data"));
  if (!ca) return Status::Internal(kubeconfig_path_ + ": certificate-authority-data is not base64");
  ca_pem_ = *ca;
  ca_path_ = kubeconfig_path_ + ".ca.pem";
  if (FILE* f = std::fopen(ca_path_.c_str(), "w")) {
    std::fwrite(ca_pem_.data(), 1, ca_pem_.size(), f);
    std::fclose(f);
  } else {
    return Status::IOError("cannot write " + ca_path_);
  }
  port_ = std::atoi(server_.substr(server_.rfind(':') + 1).c_str());
  return Status::OK();
}

KubesimProcess::~KubesimProcess() { Stop(2000); }

int KubesimProcess::Stop(int grace_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

HttpResult KubesimProcess::Request(const std::string& method, const std::string& path,
                                   const std::string& body, const std::string& content_type,
                                   const std::map<std::string, std::string>& headers,
                                   bool authenticated) const {
  HttpResult result;
  httplib::SSLClient client("127.0.0.1", port_);
  // A CA file, not an X509_STORE: httplib would otherwise also load the system bundle (~30 ms).
  client.set_ca_cert_path(ca_path_.c_str());
  client.enable_server_certificate_verification(true);
  client.set_connection_timeout(5);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(30);
  httplib::Headers sent;
  for (const auto& [k, v] : headers) sent.emplace(k, v);
  if (authenticated) sent.emplace("Authorization", "Bearer " + token_);
  auto send = [&]() -> httplib::Result {
    if (method == "GET") return client.Get(path.c_str(), sent);
    if (method == "DELETE") return client.Delete(path.c_str(), sent, body, content_type.c_str());
    if (method == "POST") return client.Post(path.c_str(), sent, body, content_type.c_str());
    if (method == "PUT") return client.Put(path.c_str(), sent, body, content_type.c_str());
    return client.Patch(path.c_str(), sent, body, content_type.c_str());
  };
  if (method != "GET" && method != "DELETE" && method != "POST" && method != "PUT" &&
      method != "PATCH") {
    result.error = "unsupported method " + method;
    return result;
  }
  httplib::Result r = send();
  if (!r) {
    result.error = httplib::to_string(r.error());
    return result;
  }
  result.status = r->status;
  result.body = r->body;
  for (const auto& [k, v] : r->headers) result.headers.emplace(k, v);
  return result;
}

Result<std::unique_ptr<HttpKubeClient>> KubesimProcess::Connect(KubeClientOptions options) const {
  return ConnectAs("", std::move(options));
}

Result<std::unique_ptr<HttpKubeClient>> KubesimProcess::ConnectAs(const std::string& token,
                                                                  KubeClientOptions options) const {
  KubeconfigOptions kubeconfig;
  kubeconfig.kubeconfig_flag = kubeconfig_path_;
  KubeconfigEnv env;
  env.getenv = [](const char*) -> const char* { return nullptr; };  // no KUBECONFIG, no HOME
  auto config = LoadRestConfig(kubeconfig, env);
  if (!config.ok()) return config.status();
  if (!token.empty()) config->token = token;
  return HttpKubeClient::Create(*config, std::move(options));
}

}  // namespace mlgitops::kubesim
