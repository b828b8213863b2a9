// A tiny AF_UNIX stream client for the pylabhub shared-memory hand-over
// (docs/pylabhub.md, "Attaching to a memfd channel"): Node's `net` cannot receive SCM_RIGHTS, and
// a socket that libuv reads could swallow the message that carries the fd. The
// descriptors made here are never given to libuv; JS reads and writes them only
// through these calls.
//
// Every call is synchronous and bounded by a poll() timeout, so it belongs in
// a worker_thread (main/pylabhub/handover-worker.ts), never on the main thread.
// The socket is non-blocking: connect() never waits for a full backlog and a
// read or write never blocks past the poll. Errors are JS Errors naming the
// syscall and the errno text, with `syscall`, `errno` (number) and `code`
// ("ETIMEDOUT" for a timeout, "EOF" when the peer closed before an fd came,
// "EFDCOUNT" for anything but exactly one fd) properties.
#include "unix-fd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace hubscope {

#if defined(__linux__)

namespace {

// Enough room to see (and close) a handful of unexpected extra descriptors.
constexpr size_t kMaxFds = 16;
// One read never returns more than this, whatever JS asks for.
constexpr size_t kMaxRead = 1 << 20;

Napi::Value Throw(Napi::Env env, const std::string& syscall, const std::string& message, const char* code, int err) {
  Napi::Error e = Napi::Error::New(env, syscall + ": " + message);
  e.Set("syscall", Napi::String::New(env, syscall));
  e.Set("code", Napi::String::New(env, code));
  if (err != 0) e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

const char* CodeOf(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOTSOCK: return "ENOTSOCK";
    case EBADF: return "EBADF";
    case EPIPE: return "EPIPE";
    case ECONNRESET: return "ECONNRESET";
    case ENOTDIR: return "ENOTDIR";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EMFILE: return "EMFILE";
    default: return "ESYSCALL";
  }
}

Napi::Value ThrowErrno(Napi::Env env, const std::string& syscall, int err) {
  return Throw(env, syscall, strerror(err), CodeOf(err), err);
}

bool ToInt(const Napi::Value& v, int* out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 2147483647.0 || d != static_cast<double>(static_cast<int>(d))) return false;
  *out = static_cast<int>(d);
  return true;
}

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Waits until fd is ready for `events` or the deadline passes. Returns 1 when
// ready (or hung up: the following call reports what happened), 0 on timeout,
// -1 with errno set on failure. EINTR restarts with the time left.
int WaitFor(int fd, short events, int64_t deadline) {
  for (;;) {
    int64_t left = deadline - NowMs();
    if (left < 0) left = 0;
    struct pollfd p = {fd, events, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return 0;
    if (p.revents & POLLNVAL) {
      errno = EBADF;
      return -1;
    }
    return 1;
  }
}

Napi::Value TimedOut(Napi::Env env, const std::string& syscall, int timeout_ms) {
  return Throw(env, syscall, "timed out after " + std::to_string(timeout_ms) + " ms", "ETIMEDOUT", 0);
}

// unixConnect(path) -> fd: a non-blocking, close-on-exec SOCK_STREAM socket
// connected to a filesystem path (no abstract names: a leading NUL is refused).
Napi::Value UnixConnect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return Throw(env, "unixConnect", "path must be a string", "EINVAL", 0);
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path || path.find('\0') != std::string::npos) {
    return Throw(env, "unixConnect",
                 "socket path must be 1.." + std::to_string(sizeof addr.sun_path - 1) +
                     " bytes without NUL, got " + std::to_string(path.size()),
                 "EINVAL", 0);
  }
  memcpy(addr.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return ThrowErrno(env, "socket", errno);
  if (connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "connect", err);
  }
  return Napi::Number::New(env, fd);
}

// unixWrite(fd, buffer, timeoutMs): writes all of buffer or throws.
Napi::Value UnixWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1, timeout_ms = 0;
  if (info.Length() < 3 || !ToInt(info[0], &fd) || !info[1].IsTypedArray() || !ToInt(info[2], &timeout_ms)) {
    return Throw(env, "unixWrite", "unixWrite(fd, Uint8Array, timeoutMs): bad arguments", "EINVAL", 0);
  }
  Napi::TypedArray array = info[1].As<Napi::TypedArray>();
  if (array.TypedArrayType() != napi_uint8_array) return Throw(env, "unixWrite", "buffer must be a Uint8Array", "EINVAL", 0);
  Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
  // Copied first: the JS buffer must not be touched while we may wait.
  std::vector<uint8_t> data(bytes.Data(), bytes.Data() + bytes.ElementLength());
  int64_t deadline = NowMs() + timeout_ms;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return ThrowErrno(env, "send", errno);
    int r = WaitFor(fd, POLLOUT, deadline);
    if (r < 0) return ThrowErrno(env, "poll", errno);
    if (r == 0) return TimedOut(env, "send", timeout_ms);
  }
  return env.Undefined();
}

// unixRead(fd, maxBytes, timeoutMs) -> Buffer: what one recv() returns once
// data arrived (at most maxBytes; a copy in JS memory), empty on EOF.
Napi::Value UnixRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1, max_bytes = 0, timeout_ms = 0;
  if (info.Length() < 3 || !ToInt(info[0], &fd) || !ToInt(info[1], &max_bytes) || !ToInt(info[2], &timeout_ms) ||
      max_bytes == 0 || static_cast<size_t>(max_bytes) > kMaxRead) {
    return Throw(env, "unixRead", "unixRead(fd, maxBytes 1.." + std::to_string(kMaxRead) + ", timeoutMs): bad arguments",
                 "EINVAL", 0);
  }
  std::vector<uint8_t> buf(static_cast<size_t>(max_bytes));
  int64_t deadline = NowMs() + timeout_ms;
  for (;;) {
    // No control buffer: descriptors a peer attaches to these bytes are
    // released by the kernel, never installed in this process.
    ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n >= 0) return Napi::Buffer<uint8_t>::Copy(env, buf.data(), static_cast<size_t>(n));
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return ThrowErrno(env, "recv", errno);
    int r = WaitFor(fd, POLLIN, deadline);
    if (r < 0) return ThrowErrno(env, "poll", errno);
    if (r == 0) return TimedOut(env, "recv", timeout_ms);
  }
}

// unixReceiveFd(fd, timeoutMs) -> { fd, dataByte }: one recvmsg() that must
// carry exactly one SCM_RIGHTS descriptor (installed close-on-exec). Any other
// count is an error, and every descriptor that did arrive is closed.
Napi::Value UnixReceiveFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1, timeout_ms = 0;
  if (info.Length() < 2 || !ToInt(info[0], &fd) || !ToInt(info[1], &timeout_ms)) {
    return Throw(env, "unixReceiveFd", "unixReceiveFd(fd, timeoutMs): bad arguments", "EINVAL", 0);
  }
  int64_t deadline = NowMs() + timeout_ms;
  uint8_t data = 0;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  struct msghdr msg;
  ssize_t n = -1;
  for (;;) {
    struct iovec iov = {&data, 1};
    memset(&msg, 0, sizeof msg);
    memset(control, 0, sizeof control);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n >= 0) break;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return ThrowErrno(env, "recvmsg", errno);
    int r = WaitFor(fd, POLLIN, deadline);
    if (r < 0) return ThrowErrno(env, "poll", errno);
    if (r == 0) return TimedOut(env, "recvmsg", timeout_ms);
  }
  std::vector<int> fds;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int got;
      memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      fds.push_back(got);
    }
  }
  bool truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
  if (n == 0 && fds.empty()) return Throw(env, "recvmsg", "the peer closed the connection", "EOF", 0);
  if (fds.size() != 1 || truncated) {
    for (int extra : fds) close(extra);
    std::string count = truncated ? "more than " + std::to_string(kMaxFds) : std::to_string(fds.size());
    return Throw(env, "recvmsg", "expected exactly one file descriptor (SCM_RIGHTS), got " + count, "EFDCOUNT", 0);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fds[0]));
  out.Set("dataByte", n == 1 ? Napi::Number::New(env, data) : Napi::Number::New(env, -1));
  return out;
}

// closeFd(fd): close(2); throws on EBADF so a double close is noticed.
Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (info.Length() < 1 || !ToInt(info[0], &fd)) return Throw(env, "closeFd", "closeFd(fd): fd must be a non-negative integer", "EINVAL", 0);
  // No retry on EINTR: on Linux the descriptor is gone either way.
  if (close(fd) != 0 && errno != EINTR) return ThrowErrno(env, "close", errno);
  return env.Undefined();
}

}  // namespace

void RegisterUnixFd(Napi::Env env, Napi::Object exports) {
  exports.Set("unixConnect", Napi::Function::New(env, UnixConnect));
  exports.Set("unixWrite", Napi::Function::New(env, UnixWrite));
  exports.Set("unixRead", Napi::Function::New(env, UnixRead));
  exports.Set("unixReceiveFd", Napi::Function::New(env, UnixReceiveFd));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
}

#else  // The hand-over (memfd + SCM_RIGHTS as pylabhub does it) is Linux only.

void RegisterUnixFd(Napi::Env env, Napi::Object exports) {
  auto unsupported = [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Error::New(info.Env(), "the pylabhub shared-memory hand-over is Linux only").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  };
  for (const char* name : {"unixConnect", "unixWrite", "unixRead", "unixReceiveFd", "closeFd"}) {
    exports.Set(name, Napi::Function::New(env, unsupported));
  }
}

#endif

}  // namespace hubscope
