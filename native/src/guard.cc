// SIGBUS handler behind guarded() (see guard.h).
#include "guard.h"

#include <signal.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#endif

#include <mutex>

namespace hubscope {

thread_local sigjmp_buf* volatile t_bus_jump __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {

bool DetectProtectionKeys() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  // OSPKE (leaf 7, ECX bit 4): the OS enabled PKRU, so RDPKRU/WRPKRU are legal.
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & (1u << 4)) != 0;
#elif defined(__aarch64__)
  // HWCAP2_POE (bit 63): the kernel exposes POR_EL0 to user space.
  return (getauxval(AT_HWCAP2) & (1ull << 63)) != 0;
#else
  return false;
#endif
}

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

const bool g_has_protection_keys = DetectProtectionKeys();

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
