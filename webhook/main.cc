// mlgitops-webhook: the validating + mutating admission webhook (placeholder).
// The server arrives with the webhook issue; until then it says so and exits non-zero.
#include <cstdio>

int main() {
  std::fprintf(stderr, "mlgitops-webhook %s: the admission server is not built yet\n",
               MLGITOPS_VERSION);
  return 2;
}
