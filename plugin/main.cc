// kubectl-mlgitops: GitOps delivery for ML platforms, as a kubectl plugin.
#include <cstdio>

int main() {
  std::printf("kubectl-mlgitops %s\n", MLGITOPS_VERSION);
  return 0;
}
