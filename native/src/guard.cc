// SIGBUS handler behind guarded() (see guard.h).
#include "guard.h"

#include <signal.h>
#include <string.h>

#include <mutex>

namespace hubscope {

thread_local sigjmp_buf* volatile t_bus_jump __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {

struct sigaction g_previous;

void OnBus(int sig, siginfo_t* info, void* context) {
  sigjmp_buf* jump = t_bus_jump;
  if (jump != nullptr) siglongjmp(*jump, 1);  // a guarded access: unwind to guarded()
  // Not ours: behave as if we had never been installed.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction != nullptr) g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler == SIG_IGN) return;
  if (g_previous.sa_handler == SIG_DFL) {
    // Restore the default action; returning re-executes the faulting access,
    // which now terminates the process the normal way (core dump etc.).
    signal(sig, SIG_DFL);
    return;
  }
  g_previous.sa_handler(sig);
}

}  // namespace

void InstallBusGuard() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = OnBus;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigaction(SIGBUS, &action, &g_previous);
  });
}

}  // namespace hubscope
