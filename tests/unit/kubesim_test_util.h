// Small helpers shared by the kubesim tests: JSON parsing that fails the test instead of
// throwing, and splitting command output and newline-delimited JSON into pieces.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "kubesim/api_server.h"
#include "kubesim/json_util.h"
#include "kubesim/launcher.h"
#include "test_util.h"

namespace mlgitops::kubesim::testing {

/// `json` parsed; fails the calling test (and returns `{}`) when it is not valid JSON.
inline Object ParseOrFail(const std::string& json) {
  auto parsed = ParseJson(json, "test");
  EXPECT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << json;
  return parsed.ok() ? std::move(*parsed) : Object();
}

/// Non-empty lines of `text`.
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

/// Whitespace-separated words of one line (a table row).
inline std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

/// Whether `text` fits `shape`, where in the shape 'h' stands for a lowercase hex digit, 'd' for
/// a decimal digit, '*' for one or more decimal digits at the end, and any other character for
/// itself (std::regex is avoided: GCC 12 warns inside it under the sanitizer build).
inline bool FitsShape(const std::string& text, const std::string& shape) {
  size_t t = 0;
  for (size_t s = 0; s < shape.size(); ++s) {
    char c = shape[s];
    if (c == '*') {
      size_t start = t;
      while (t < text.size() && std::isdigit(static_cast<unsigned char>(text[t]))) ++t;
      if (t == start) return false;
      continue;
    }
    if (t >= text.size()) return false;
    char got = text[t++];
    if (c == 'h' && !std::isxdigit(static_cast<unsigned char>(got))) return false;
    if (c == 'h' && std::isupper(static_cast<unsigned char>(got))) return false;
    if (c == 'd' && !std::isdigit(static_cast<unsigned char>(got))) return false;
    if (c != 'h' && c != 'd' && c != got) return false;
  }
  return t == text.size();
}

/// One Object per line of newline-delimited JSON (watch streams, the audit log).
inline std::vector<Object> JsonLines(const std::string& text) {
  std::vector<Object> out;
  for (const std::string& line : Lines(text)) out.push_back(ParseOrFail(line));
  return out;
}

/// `METHOD PATH?QUERY` with `body` served by an in-process ApiServer (as kubesim's admin).
inline HttpResponse CallInProcess(ApiServer& server, const std::string& method,
                                  const std::string& path, const std::string& body = "",
                                  const std::string& content_type = "application/json",
                                  const std::string& accept = "") {
  HttpRequest request;
  request.method = method;
  size_t q = path.find('?');
  request.path = path.substr(0, q);
  if (q != std::string::npos) {
    std::string query = path.substr(q + 1);
    for (size_t start = 0; start < query.size();) {
      size_t amp = std::min(query.find('&', start), query.size());
      std::string pair = query.substr(start, amp - start);
      size_t eq = pair.find('=');
      request.query.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
      start = amp + 1;
    }
  }
  request.body = body;
  request.accept = accept;
  request.content_type = content_type;
  request.user_agent = "unit-test/1.0";
  return server.Handle(request, ParseRequestInfo(method, request.path, request.QueryBool("watch")));
}

/// Starts kubesim for a whole test suite (its files under `dir`; simulated controllers stepping
/// every `step_delay`, or off when it is "") and connects a client. Returns "" and hands both
/// over, or says why not.
inline std::string StartSuiteKubesim(const std::string& dir, const std::string& step_delay,
                                     KubesimProcess** process, HttpKubeClient** client) {
  LaunchOptions options;
  options.binary = mlgitops::testing::BinDir() + "/kubesim";
  options.work_dir = dir;
  options.controllers = !step_delay.empty();
  options.step_delay = step_delay;
  auto started = KubesimProcess::Start(options);
  if (!started.ok()) return started.status().message();
  *process = started->release();
  auto connected = (*process)->Connect();
  if (!connected.ok()) return connected.status().message();
  *client = connected->release();
  return "";
}

/// Closes the client and stops kubesim (SIGTERM); the exit status, -1 when none was running.
inline int StopSuiteKubesim(KubesimProcess** process, HttpKubeClient** client) {
  delete *client;
  *client = nullptr;
  int status = *process ? (*process)->Stop() : -1;
  delete *process;
  *process = nullptr;
  return status;
}

/// A client acting as ServiceAccount `account` of namespace `ns`, created (with a Role granting
/// everything in `ns` and its RoleBinding: how namespaced installs are scoped) through `admin`.
/// RBAC then refuses it anything cluster-scoped. Null, with the reason in `error`, on failure.
inline std::unique_ptr<HttpKubeClient> NamespaceScopedClient(const KubesimProcess& process,
                                                             HttpKubeClient& admin,
                                                             const std::string& ns,
                                                             const std::string& account,
                                                             std::string* error) {
  const std::string meta = "{name: " + account + ", namespace: " + ns + "}";
  for (const std::string& yaml :
       {"apiVersion: v1\nkind: ServiceAccount\nmetadata: " + meta + "\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: " + meta +
            "\nrules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: " + meta +
            "\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: " + account +
            "}\nsubjects: [{kind: ServiceAccount, name: " + account + ", namespace: " + ns +
            "}]\n"}) {
    auto applied = admin.Apply(mlgitops::testing::ParseOne(yaml), ApplyOptions());
    if (!applied.ok()) {
      *error = applied.status().message();
      return nullptr;
    }
  }
  HttpResult issued = process.Request(
      "POST", "/api/v1/namespaces/" + ns + "/serviceaccounts/" + account + "/token", "{}");
  if (issued.status != 201) {
    *error = "TokenRequest: " + std::to_string(issued.status) + " " + issued.body;
    return nullptr;
  }
  auto client = process.ConnectAs(GetString(ParseOrFail(issued.body).json(), "status.token"));
  if (!client.ok()) {
    *error = client.status().message();
    return nullptr;
  }
  return std::move(*client);
}

/// A kubesim process shared by one test suite and driven through the real kubectl. Derive as
/// `class FooTest : public KubectlSuite<FooTest>`; a suite that wants simulated controllers or
/// other flags defines a public `static LaunchOptions SuiteOptions()`.
template <typename Suite>
class KubectlSuite : public ::testing::Test {
 protected:
  static LaunchOptions SuiteOptions() { return LaunchOptions(); }

  static void SetUpTestSuite() {
    dir_ = new mlgitops::testing::TempDir();
    LaunchOptions options = Suite::SuiteOptions();
    options.binary = mlgitops::testing::BinDir() + "/kubesim";
    options.work_dir = dir_->path();
    auto started = KubesimProcess::Start(options);
    if (started.ok()) process_ = started->release();
  }
  static void TearDownTestSuite() {
    if (process_) {
      EXPECT_EQ(process_->Stop(), 0);
    }
    delete process_;
    process_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(process_, nullptr) << "kubesim did not start";
    ASSERT_EQ(mlgitops::testing::RunCommand("command -v kubectl", nullptr), 0)
        << "kubectl is not on PATH";
  }

  /// "kubectl --kubeconfig ... --cache-dir ... " for this suite's kubesim.
  static std::string KubectlPrefix() {
    return "kubectl --kubeconfig " + process_->kubeconfig_path() + " --cache-dir " + dir_->path() +
           "/cache ";
  }
  /// `kubectl ARGS`, stdout and stderr merged into *out; the exit code.
  static int Kubectl(const std::string& args, std::string* out = nullptr) {
    std::string sink;
    return mlgitops::testing::RunCommand(KubectlPrefix() + args, out ? out : &sink, true);
  }
  /// `kubectl ARGS` with stdout and stderr kept apart.
  static int KubectlSplit(const std::string& args, std::string* out, std::string* err) {
    std::string err_file = dir_->path() + "/stderr.txt";
    int code = mlgitops::testing::RunCommand(KubectlPrefix() + args + " 2>" + err_file, out, false);
    *err = mlgitops::testing::ReadFile(err_file);
    return code;
  }

  static inline mlgitops::testing::TempDir* dir_ = nullptr;
  static inline KubesimProcess* process_ = nullptr;
};

}  // namespace mlgitops::kubesim::testing
