// SIGBUS guard for accesses to shared memory that may shrink under us.
//
// If another process truncates a segment while we have it mapped, touching a
// page past the new end raises SIGBUS, which by default kills the process.
// Every access to a mapping goes through guarded(): it arms a per-thread jump
// buffer, runs the access, and disarms it. Our handler jumps back only when
// the faulting thread is inside guarded(); any other SIGBUS is passed on to
// whatever handler was installed before us (or the default action).
//
// Protection keys. The kernel runs a signal handler with the default
// protection-key register (x86 PKRU, arm64 POR_EL0), and only sigreturn puts
// the thread's own value back. siglongjmp() skips sigreturn, so without care
// the thread would go on with the handler's value. V8 (Node's and Electron's)
// guards WebAssembly code memory with protection keys: the next time it
// touches that memory the process dies with SEGV_PKUERR. guarded() therefore
// saves the register on entry and writes it back, first thing, after a jump.
#pragma once

#include <setjmp.h>
#include <stdint.h>

namespace hubscope {

// Installs the SIGBUS handler once per process (idempotent, thread-safe).
void InstallBusGuard();

// The jump buffer of the guarded access in progress on this thread, or null.
// initial-exec TLS: reading it from the signal handler never allocates.
extern thread_local sigjmp_buf* volatile t_bus_jump __attribute__((tls_model("initial-exec")));

// True when this CPU and kernel expose a user protection-key register
// (x86: CPUID.7.0:ECX.OSPKE; arm64: HWCAP2_POE). Set once at load time;
// reading the register where it does not exist would fault (#UD / SIGILL).
extern const bool g_has_protection_keys;

// The thread's protection-key register (0 where there is none).
inline uint64_t ReadProtectionKeys() {
  if (!g_has_protection_keys) return 0;
#if defined(__x86_64__) || defined(__i386__)
  uint32_t eax, edx;
  // RDPKRU (0F 01 EE), spelled as bytes so no -mpku is needed: ECX must be 0.
  __asm__ volatile(".byte 0x0f, 0x01, 0xee" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
#elif defined(__aarch64__)
  uint64_t por;
  __asm__ volatile("mrs %0, S3_3_C10_C2_4" : "=r"(por));  // POR_EL0
  return por;
#else
  return 0;
#endif
}

inline void WriteProtectionKeys(uint64_t value) {
  if (!g_has_protection_keys) return;
#if defined(__x86_64__) || defined(__i386__)
  // WRPKRU (0F 01 EF): EAX = value, ECX = EDX = 0.
  __asm__ volatile(".byte 0x0f, 0x01, 0xef" : : "a"(static_cast<uint32_t>(value)), "c"(0), "d"(0) : "memory");
#elif defined(__aarch64__)
  __asm__ volatile("msr S3_3_C10_C2_4, %0\n\tisb" : : "r"(value) : "memory");  // POR_EL0
#else
  (void)value;
#endif
}

// Runs fn(); returns false (and fn's effects are partial) if it faulted with SIGBUS.
// fn must not allocate or take locks: it may be abandoned halfway by siglongjmp.
template <typename Fn>
bool guarded(Fn&& fn) {
  sigjmp_buf jump;
  // volatile: kept in memory, so its value survives the jump whatever the
  // compiler does with registers (-Wclobbered).
  volatile uint64_t keys = ReadProtectionKeys();
  // savesigs = 0: no sigprocmask syscall; the handler uses SA_NODEFER so the
  // signal mask is never changed and need not be restored.
  if (sigsetjmp(jump, 0) != 0) {
    // Before anything else runs on this thread: give it its own keys back.
    WriteProtectionKeys(keys);
    t_bus_jump = nullptr;
    return false;
  }
  t_bus_jump = &jump;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  fn();
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  t_bus_jump = nullptr;
  return true;
}

}  // namespace hubscope
