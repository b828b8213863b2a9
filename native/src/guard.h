// SIGBUS guard for accesses to shared memory that may shrink under us.
//
// If another process truncates a segment while we have it mapped, touching a
// page past the new end raises SIGBUS, which by default kills the process.
// Every access to a mapping goes through guarded(): it arms a per-thread jump
// buffer, runs the access, and disarms it. Our handler jumps back only when
// the faulting thread is inside guarded(); any other SIGBUS is passed on to
// whatever handler was installed before us (or the default action).
#pragma once

#include <setjmp.h>

namespace hubscope {

// Installs the SIGBUS handler once per process (idempotent, thread-safe).
void InstallBusGuard();

// The jump buffer of the guarded access in progress on this thread, or null.
// initial-exec TLS: reading it from the signal handler never allocates.
extern thread_local sigjmp_buf* volatile t_bus_jump __attribute__((tls_model("initial-exec")));

// Runs fn(); returns false (and fn's effects are partial) if it faulted with SIGBUS.
// fn must not allocate or take locks: it may be abandoned halfway by siglongjmp.
template <typename Fn>
bool guarded(Fn&& fn) {
  sigjmp_buf jump;
  // savesigs = 0: no sigprocmask syscall; the handler uses SA_NODEFER so the
  // signal mask is never changed and need not be restored.
  if (sigsetjmp(jump, 0) != 0) {
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
