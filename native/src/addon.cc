// HubScope's native addon: the smallest surface that JS cannot do itself.
// Protocol and decoding logic live in TypeScript (main/datablock/); this file
// registers the exports: version(), the Segment class (segment.cc), a few
// name-level operations on POSIX shared memory, and the AF_UNIX client calls of
// the pylabhub shared-memory hand-over (unix-fd.cc).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <napi.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "guard.h"
#include "segment.h"
#include "unix-fd.h"

namespace {

// Smoke function: proves the addon loads in this runtime (Node or Electron).
Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), "hubscope-native 1");
}

// listShm(dir, magic) -> [{ name, size }]: regular files in `dir` (on Linux
// /dev/shm) whose first 4 bytes are the little-endian u32 `magic`. Opens with
// O_NONBLOCK|O_NOFOLLOW so a FIFO or symlink planted there cannot hang or
// redirect us; unreadable entries are skipped.
Napi::Value ListShm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "listShm(dir, magic)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  uint32_t magic = info[1].As<Napi::Number>().Uint32Value();
  Napi::Array out = Napi::Array::New(env);
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;  // no such directory (e.g. macOS): nothing to list
  uint32_t n = 0;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    unsigned char head[4];
    bool match = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 4 && pread(fd, head, 4, 0) == 4 &&
                 (static_cast<uint32_t>(head[0]) | static_cast<uint32_t>(head[1]) << 8 |
                  static_cast<uint32_t>(head[2]) << 16 | static_cast<uint32_t>(head[3]) << 24) == magic;
    close(fd);
    if (!match) continue;
    Napi::Object item = Napi::Object::New(env);
    item.Set("name", Napi::String::New(env, e->d_name));
    item.Set("size", Napi::Number::New(env, static_cast<double>(st.st_size)));
    out.Set(n++, item);
  }
  closedir(d);
  return out;
}

// unlinkShm(name) -> true if removed, false if it did not exist; throws otherwise.
Napi::Value UnlinkShm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "unlinkShm(name)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (shm_unlink(name.c_str()) == 0) return Napi::Boolean::New(env, true);
  if (errno == ENOENT) return Napi::Boolean::New(env, false);
  Napi::Error::New(env, "cannot unlink " + name + ": " + strerror(errno)).ThrowAsJavaScriptException();
  return env.Undefined();
}

// monotonicNs() -> bigint CLOCK_MONOTONIC nanoseconds: the clock of the
// producer heartbeat and creation timestamp fields.
Napi::Value MonotonicNs(const Napi::CallbackInfo& info) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
  return Napi::BigInt::New(info.Env(), ns);
}

// protectionKeys() -> { supported, value }: this thread's protection-key
// register (x86 PKRU, arm64 POR_EL0). Diagnostic: lets tests prove that a
// guarded fault leaves the register as it found it (see guard.h).
Napi::Value ProtectionKeys(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("supported", Napi::Boolean::New(env, hubscope::g_has_protection_keys));
  out.Set("value", Napi::BigInt::New(env, hubscope::ReadProtectionKeys()));
  return out;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("listShm", Napi::Function::New(env, ListShm));
  exports.Set("unlinkShm", Napi::Function::New(env, UnlinkShm));
  exports.Set("monotonicNs", Napi::Function::New(env, MonotonicNs));
  exports.Set("protectionKeys", Napi::Function::New(env, ProtectionKeys));
  exports.Set("Segment", hubscope::Segment::Define(env));
  hubscope::RegisterUnixFd(env, exports);
  napi_value latest;  // raw N-API: see Segment::Latest
  napi_create_function(env, "latest", NAPI_AUTO_LENGTH, &hubscope::Segment::Latest, nullptr, &latest);
  exports.Set("latest", Napi::Value(env, latest));
  return exports;
}

NODE_API_MODULE(hubscope_native, Init)
