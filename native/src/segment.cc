// Segment: maps a DataBlock and offers bounds-checked, SIGBUS-guarded copies
// and atomics at byte offsets. It knows nothing about the PLHB layout except
// the shape of one slot-state entry used by Snapshot(); the protocols (reader
// and writer) live in main/datablock/*.ts.
//
// Data only ever leaves shared memory by being copied into a JS-owned
// Uint8Array: Electron's V8 memory cage forbids external ArrayBuffers.
#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"

namespace hubscope {

namespace {

// Slot-state entry fields used by Snapshot() (spec section 2.1).
constexpr size_t kStateOffset = 12;       // u8 slot_state
constexpr size_t kGenerationOffset = 16;  // u64 write_generation
constexpr uint8_t kCommitted = 2;
constexpr size_t kSlotStateSize = 64;
constexpr size_t kSlotChecksumSize = 33;
constexpr size_t kCommitIndexOffset = 0xC0;  // header commit_index
constexpr int kLatestRetries = 64;

std::string Errno(const std::string& what, int err) { return what + ": " + strerror(err); }

// Reads a JS number as a non-negative integer offset/length; false if it is not one.
bool ToSize(const Napi::Value& v, size_t* out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || d != static_cast<double>(static_cast<uint64_t>(d))) return false;
  *out = static_cast<size_t>(d);
  return true;
}

// The bytes of a Uint8Array argument (JS-owned memory). One raw N-API call:
// this is on the snapshot hot path, where wrapper overhead is measurable.
bool ToBytes(const Napi::Value& v, uint8_t** data, size_t* length) {
  napi_typedarray_type type;
  void* bytes = nullptr;
  if (napi_get_typedarray_info(v.Env(), v, &type, length, &bytes, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(bytes);  // already adjusted by the byte offset
  return true;
}

bool ToU64(const Napi::Value& v, uint64_t* out) {
  if (!v.IsBigInt()) return false;
  bool lossless = false;
  *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
  return lossless;
}

Napi::Value Fail(Napi::Env env, const std::string& message) {
  Napi::Error::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value FailRange(Napi::Env env, const std::string& message) {
  Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace

Napi::Function Segment::Define(Napi::Env env) {
  return DefineClass(env, "Segment",
                     {
                         InstanceMethod("size", &Segment::Size),
                         InstanceMethod("fileInfo", &Segment::FileInfo),
                         InstanceMethod("close", &Segment::Close),
                         InstanceMethod("read", &Segment::Read),
                         InstanceMethod("write", &Segment::Write),
                         InstanceMethod("snapshot", &Segment::Snapshot),
                         InstanceMethod("setRing", &Segment::SetRing),
                         InstanceMethod("bindDest", &Segment::BindDest),
                         InstanceMethod("load8", &Segment::Load8),
                         InstanceMethod("load32", &Segment::Load32),
                         InstanceMethod("load64", &Segment::Load64),
                         InstanceMethod("store8", &Segment::Store8),
                         InstanceMethod("store32", &Segment::Store32),
                         InstanceMethod("store64", &Segment::Store64),
                         InstanceMethod("cas64", &Segment::Cas64),
                         InstanceMethod("add64", &Segment::Add64),
                     });
}

// new Segment(name, mode, size?)
//   mode "shm":    shm_open(name, O_RDONLY), map read-only, whole current size
//   mode "file":   open(name, O_RDONLY), map read-only
//   mode "create": shm_open(name, O_CREAT|O_EXCL|O_RDWR, 0666), ftruncate(size), map read-write
//   mode "attach": shm_open(name, O_RDWR), map read-write (a writer reattaching its own segment)
//   mode "fd":     new Segment(name, "fd", fd, writable): maps an open descriptor (a memfd
//                  received from a pylabhub producer), read-write when `writable`.
//                  The segment keeps its own duplicate (close-on-exec); the caller
//                  still owns and closes `fd`. `name` is only used in messages.
Segment::Segment(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Segment>(info) {
  Napi::Env env = info.Env();
  InstallBusGuard();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    Fail(env, "Segment(name, mode[, size]): name and mode must be strings");
    return;
  }
  name_ = info[0].As<Napi::String>().Utf8Value();
  std::string mode = info[1].As<Napi::String>().Utf8Value();
  size_t create_size = 0;
  if (mode == "shm") {
    fd_ = shm_open(name_.c_str(), O_RDONLY | O_CLOEXEC, 0);
  } else if (mode == "file") {
    fd_ = open(name_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  } else if (mode == "attach") {
    fd_ = shm_open(name_.c_str(), O_RDWR | O_CLOEXEC, 0);
    writable_ = true;
  } else if (mode == "fd") {
    size_t source = 0;
    if (info.Length() < 4 || !ToSize(info[2], &source) || source > 2147483647u || !info[3].IsBoolean()) {
      Fail(env, "Segment(name, \"fd\", fd, writable): fd must be a descriptor number and writable a boolean");
      return;
    }
    writable_ = info[3].As<Napi::Boolean>().Value();
    fd_ = fcntl(static_cast<int>(source), F_DUPFD_CLOEXEC, 3);
  } else if (mode == "create") {
    if (info.Length() < 3 || !ToSize(info[2], &create_size) || create_size == 0) {
      Fail(env, "Segment(name, \"create\", size): size must be a positive integer");
      return;
    }
    fd_ = shm_open(name_.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0666);
    writable_ = true;
  } else {
    Fail(env, "Segment: unknown mode \"" + mode + "\"");
    return;
  }
  if (fd_ < 0) {
    Fail(env, Errno("cannot open " + name_, errno));
    return;
  }
  if (mode == "create" && ftruncate(fd_, static_cast<off_t>(create_size)) != 0) {
    int err = errno;
    shm_unlink(name_.c_str());
    Unmap();
    Fail(env, Errno("cannot size " + name_, err));
    return;
  }
  struct stat st;
  if (fstat(fd_, &st) != 0) {
    int err = errno;
    Unmap();
    Fail(env, Errno("cannot stat " + name_, err));
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    Unmap();
    Fail(env, name_ + " is not a regular file");
    return;
  }
  if (st.st_size <= 0) {
    Unmap();
    Fail(env, name_ + " is empty (0 bytes)");
    return;
  }
  size_ = static_cast<size_t>(st.st_size);
  void* p = mmap(nullptr, size_, writable_ ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) {
    int err = errno;
    if (mode == "create") shm_unlink(name_.c_str());
    Unmap();
    Fail(env, Errno("cannot map " + name_, err));
    return;
  }
  base_ = static_cast<uint8_t*>(p);

  // The hot path's state, also owned by an opaque external (`this.ring`) that
  // the module-level latest(ring) takes: one shared function keeps JS call
  // sites monomorphic, and the external may outlive this object safely.
  ring_ = std::make_shared<RingState>();
  ring_->env = env;
  ring_->name = name_;
  ring_->fd = fd_;
  ring_->base = base_;
  ring_->size = size_;
  ring_->open = true;
  auto* owner = new std::shared_ptr<RingState>(ring_);
  napi_value ring;
  napi_create_external(
      env, owner, [](napi_env, void* d, void*) { delete static_cast<std::shared_ptr<RingState>*>(d); }, nullptr, &ring);
  info.This().As<Napi::Object>().Set("ring", Napi::Value(env, ring));
}

Segment::~Segment() { Unmap(); }

void Segment::Unmap() {
  if (ring_) {
    ring_->open = false;
    ring_->ReleaseDest();
  }
  if (base_ != nullptr) munmap(base_, size_);
  if (fd_ >= 0) close(fd_);
  base_ = nullptr;
  fd_ = -1;
}

void Segment::ThrowBus(Napi::Env env, const char* what) {
  struct stat st;
  std::string now = (fd_ >= 0 && fstat(fd_, &st) == 0) ? std::to_string(st.st_size) : std::string("?");
  Fail(env, std::string("bus error while ") + what + " " + name_ + ": the segment was truncated under the mapping (mapped " +
                std::to_string(size_) + " bytes, file now " + now + " bytes)");
}

uint8_t* Segment::At(Napi::Env env, const Napi::Value& offset, size_t length, size_t align, bool write) {
  size_t off = 0;
  if (base_ == nullptr) {
    Fail(env, "segment " + name_ + " is closed");
    return nullptr;
  }
  if (!ToSize(offset, &off) || off > size_ || length > size_ - off) {
    FailRange(env, "offset/length outside the " + std::to_string(size_) + "-byte mapping of " + name_);
    return nullptr;
  }
  if (off % align != 0) {
    FailRange(env, "offset " + std::to_string(off) + " is not " + std::to_string(align) + "-byte aligned");
    return nullptr;
  }
  if (write && !writable_) {
    Fail(env, "segment " + name_ + " is mapped read-only");
    return nullptr;
  }
  return base_ + off;
}

Napi::Value Segment::Size(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(size_)); }

// { size, ino, dev, nlink } of the open descriptor: lets JS notice truncation,
// growth, and (by comparing with a stat of the name) unlink/replace.
Napi::Value Segment::FileInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct stat st;
  if (fd_ < 0) return Fail(env, "segment " + name_ + " is closed");
  if (fstat(fd_, &st) != 0) return Fail(env, Errno("cannot stat " + name_, errno));
  Napi::Object out = Napi::Object::New(env);
  out.Set("size", Napi::Number::New(env, static_cast<double>(st.st_size)));
  out.Set("ino", Napi::Number::New(env, static_cast<double>(st.st_ino)));
  out.Set("dev", Napi::Number::New(env, static_cast<double>(st.st_dev)));
  out.Set("nlink", Napi::Number::New(env, static_cast<double>(st.st_nlink)));
  return out;
}

Napi::Value Segment::Close(const Napi::CallbackInfo& info) {
  Unmap();
  return info.Env().Undefined();
}

// read(offset, length, dest: Uint8Array, destOffset): plain copy out of the mapping.
Napi::Value Segment::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t length = 0, dest_offset = 0, dest_length = 0;
  uint8_t* dest = nullptr;
  if (!ToSize(info[1], &length) || !ToBytes(info[2], &dest, &dest_length) || !ToSize(info[3], &dest_offset) ||
      dest_offset > dest_length || length > dest_length - dest_offset) {
    return FailRange(env, "read(offset, length, dest, destOffset): bad arguments or dest too small");
  }
  const uint8_t* src = At(env, info[0], length, 1, false);
  if (src == nullptr) return env.Undefined();
  if (!guarded([&] { memcpy(dest + dest_offset, src, length); })) ThrowBus(env, "reading");
  return env.Undefined();
}

// write(offset, src: Uint8Array): plain copy into a writable mapping.
Napi::Value Segment::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* src = nullptr;
  size_t length = 0;
  if (!ToBytes(info[1], &src, &length)) return FailRange(env, "write(offset, src): src must be a Uint8Array");
  uint8_t* dst = At(env, info[0], length, 1, true);
  if (dst == nullptr) return env.Undefined();
  if (!guarded([&] { memcpy(dst, src, length); })) ThrowBus(env, "writing");
  return env.Undefined();
}

// snapshot(stateOffset, slotOffset, length, cksOffset, cksLength, dest, destOffset)
// The consistent copy of spec section 5: state/generation (acquire) before and
// after copying the slot and its checksum entry. Copies `length` slot bytes to
// dest[destOffset..] followed by `cksLength` checksum bytes. Returns the slot's
// write_generation when the copy is consistent, -1 when the slot was not
// COMMITTED or changed during the copy (the caller retries or gives up).
Napi::Value Segment::Snapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t length = 0, cks_length = 0, dest_offset = 0, dest_length = 0;
  uint8_t* dest = nullptr;
  if (!ToSize(info[2], &length) || !ToSize(info[4], &cks_length) || !ToBytes(info[5], &dest, &dest_length) ||
      !ToSize(info[6], &dest_offset) || dest_offset > dest_length || length + cks_length > dest_length - dest_offset) {
    return FailRange(env, "snapshot(...): bad arguments or dest too small");
  }
  const uint8_t* state = At(env, info[0], 64, 8, false);
  if (state == nullptr) return env.Undefined();
  const uint8_t* slot = At(env, info[1], length, 1, false);
  if (slot == nullptr) return env.Undefined();
  const uint8_t* cks = At(env, info[3], cks_length, 1, false);
  if (cks == nullptr) return env.Undefined();

  double result = -1;
  bool ok = guarded([&] {
    uint8_t s1 = __atomic_load_n(state + kStateOffset, __ATOMIC_ACQUIRE);
    uint64_t g1 = __atomic_load_n(reinterpret_cast<const uint64_t*>(state + kGenerationOffset), __ATOMIC_ACQUIRE);
    if (s1 != kCommitted) return;
    memcpy(dest + dest_offset, slot, length);
    memcpy(dest + dest_offset + length, cks, cks_length);
    // Keep the copy above from being reordered after the re-check below.
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    uint8_t s2 = __atomic_load_n(state + kStateOffset, __ATOMIC_ACQUIRE);
    uint64_t g2 = __atomic_load_n(reinterpret_cast<const uint64_t*>(state + kGenerationOffset), __ATOMIC_ACQUIRE);
    if (s2 == kCommitted && g1 == g2) result = static_cast<double>(g1);
  });
  if (!ok) {
    ThrowBus(env, "reading a slot of");
    return env.Undefined();
  }
  return Napi::Number::New(env, result);
}

// setRing(offRw, offCks, offRing, capacity, stride): the validated geometry
// Latest() uses, so the hot path takes no offsets. Throws if it does not fit.
Napi::Value Segment::SetRing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t rw = 0, cks = 0, ring = 0, cap = 0, stride = 0;
  if (!ToSize(info[0], &rw) || !ToSize(info[1], &cks) || !ToSize(info[2], &ring) || !ToSize(info[3], &cap) ||
      !ToSize(info[4], &stride) || cap == 0 || stride == 0 || rw % 8 != 0) {
    return FailRange(env, "setRing(offRw, offCks, offRing, capacity, stride): bad arguments");
  }
  if (base_ == nullptr) return Fail(env, "segment " + name_ + " is closed");
  if (cap > size_ || rw + cap * kSlotStateSize > size_ || cks + cap * kSlotChecksumSize > size_ ||
      stride > size_ || cap > (size_ - ring) / stride || ring > size_) {
    return FailRange(env, "setRing: the ring does not fit the " + std::to_string(size_) + "-byte mapping of " + name_);
  }
  ring_->off_rw = rw;
  ring_->off_cks = cks;
  ring_->off_ring = ring;
  ring_->capacity = cap;
  ring_->stride = stride;
  ring_->ring_set = true;
  return env.Undefined();
}

// bindDest(dest: Uint8Array): the buffer latest() copies into (kept alive by a
// strong reference). Binding once keeps napi_get_typedarray_info's data lookup
// off the hot path.
Napi::Value Segment::BindDest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t length = 0;
  if (!ring_ || base_ == nullptr) return Fail(env, "segment " + name_ + " is closed");
  if (!ToBytes(info[0], &data, &length)) return FailRange(env, "bindDest(dest): dest must be a Uint8Array");
  ring_->ReleaseDest();
  if (napi_create_reference(env, info[0], 1, &ring_->dest_ref) != napi_ok) return Fail(env, "bindDest: cannot reference dest");
  ring_->dest_data = data;
  ring_->dest_len = length;
  return env.Undefined();
}

// latest(ring) -> id of the latest committed record, copied consistently into the
// bound dest (stride bytes, then its 33-byte checksum entry); -1 when nothing is
// committed, -2 when every attempt raced the writer. The snapshot hot path:
// one call, no allocation. Same rules as DataBlockReader.copyId(): the slot
// must be COMMITTED with an unchanged generation, and the generation must be
// floor(id / capacity) + 1, else the slot already holds a newer id (retry).
napi_value Segment::Latest(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* data = nullptr;
  // napi_get_value_external fails (napi_invalid_arg) for anything but an external.
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1 ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || data == nullptr) {
    napi_throw_type_error(env, nullptr, "latest(ring): ring must be a Segment's ring");
    return nullptr;
  }
  const RingState& st = **static_cast<std::shared_ptr<RingState>*>(data);
  if (!st.open || !st.ring_set || st.dest_ref == nullptr) {
    napi_throw_error(env, nullptr,
                     ("latest(): segment " + st.name + " is closed, or has no ring or destination bound").c_str());
    return nullptr;
  }
  // Detached or shrunk since bindDest()? Then the cached pointer must not be used.
  napi_value bound;
  napi_typedarray_type type;
  size_t dest_length = 0;
  if (napi_get_reference_value(env, st.dest_ref, &bound) != napi_ok ||
      napi_get_typedarray_info(env, bound, &type, &dest_length, nullptr, nullptr, nullptr) != napi_ok ||
      dest_length != st.dest_len || dest_length < st.stride + kSlotChecksumSize) {
    napi_throw_range_error(env, nullptr,
                           "latest(): the bound destination is detached or smaller than stride + 33 bytes; bind it again");
    return nullptr;
  }
  uint8_t* dest = st.dest_data;
  const uint8_t* base = st.base;
  const size_t cap = st.capacity, stride = st.stride;
  double result = -2;
  bool ok = guarded([&] {
    for (int attempt = 0; attempt < kLatestRetries; attempt++) {
      uint64_t id = __atomic_load_n(reinterpret_cast<const uint64_t*>(base + kCommitIndexOffset), __ATOMIC_ACQUIRE);
      if (id == ~uint64_t{0}) {
        result = -1;
        return;
      }
      uint64_t wraps = id / cap;
      size_t index = static_cast<size_t>(id - wraps * cap);
      const uint8_t* state = base + st.off_rw + index * kSlotStateSize;
      uint8_t s1 = __atomic_load_n(state + kStateOffset, __ATOMIC_ACQUIRE);
      uint64_t g1 = __atomic_load_n(reinterpret_cast<const uint64_t*>(state + kGenerationOffset), __ATOMIC_ACQUIRE);
      if (s1 != kCommitted || g1 != wraps + 1) continue;
      memcpy(dest, base + st.off_ring + index * stride, stride);
      memcpy(dest + stride, base + st.off_cks + index * kSlotChecksumSize, kSlotChecksumSize);
      // Keep the copy above from being reordered after the re-check below.
      __atomic_thread_fence(__ATOMIC_ACQUIRE);
      uint8_t s2 = __atomic_load_n(state + kStateOffset, __ATOMIC_ACQUIRE);
      uint64_t g2 = __atomic_load_n(reinterpret_cast<const uint64_t*>(state + kGenerationOffset), __ATOMIC_ACQUIRE);
      if (s2 == kCommitted && g2 == g1) {
        result = static_cast<double>(id);
        return;
      }
    }
  });
  if (!ok) {
    struct stat now;
    std::string size = fstat(st.fd, &now) == 0 ? std::to_string(now.st_size) : std::string("?");
    std::string message = "bus error while reading the latest slot of " + st.name +
                          ": the segment was truncated under the mapping (mapped " + std::to_string(st.size) +
                          " bytes, file now " + size + " bytes)";
    napi_throw_error(env, nullptr, message.c_str());
    return nullptr;
  }
  napi_value out;
  napi_create_double(env, result, &out);
  return out;
}

// Atomics at byte offsets. Loads are acquire; stores, CAS and add are
// sequentially consistent followed by a full fence, so the writer's "mark the
// slot WRITING" is visible before any payload byte on weakly ordered CPUs too.
// Only the memory access runs inside guarded(); JS values are made after it.
template <typename T, typename Op>
Napi::Value Segment::Atomic(const Napi::CallbackInfo& info, bool write, Op op, uint64_t* result) {
  Napi::Env env = info.Env();
  auto* p = reinterpret_cast<T*>(At(env, info[0], sizeof(T), sizeof(T), write));
  if (p == nullptr) return env.Undefined();
  if (!guarded([&] { *result = op(p); })) {
    ThrowBus(env, "accessing");
    return env.Undefined();
  }
  return Napi::Value();  // empty handle: success, caller builds the result
}

#define HUBSCOPE_RETURN_IF_FAILED(v) \
  if (!(v).IsEmpty()) return (v)

Napi::Value Segment::Load8(const Napi::CallbackInfo& info) {
  uint64_t r = 0;
  Napi::Value failed = Atomic<uint8_t>(info, false, [](uint8_t* p) -> uint64_t { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }, &r);
  HUBSCOPE_RETURN_IF_FAILED(failed);
  return Napi::Number::New(info.Env(), static_cast<double>(r));
}
Napi::Value Segment::Load32(const Napi::CallbackInfo& info) {
  uint64_t r = 0;
  Napi::Value failed = Atomic<uint32_t>(info, false, [](uint32_t* p) -> uint64_t { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }, &r);
  HUBSCOPE_RETURN_IF_FAILED(failed);
  return Napi::Number::New(info.Env(), static_cast<double>(r));
}
Napi::Value Segment::Load64(const Napi::CallbackInfo& info) {
  uint64_t r = 0;
  Napi::Value failed = Atomic<uint64_t>(info, false, [](uint64_t* p) -> uint64_t { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }, &r);
  HUBSCOPE_RETURN_IF_FAILED(failed);
  return Napi::BigInt::New(info.Env(), r);
}

template <typename T>
static uint64_t StoreFenced(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  return 0;
}

Napi::Value Segment::Store8(const Napi::CallbackInfo& info) {
  size_t v = 0;
  if (!ToSize(info[1], &v) || v > 0xff) return FailRange(info.Env(), "store8: value must be 0..255");
  uint64_t r = 0;
  Napi::Value failed = Atomic<uint8_t>(info, true, [v](uint8_t* p) { return StoreFenced(p, static_cast<uint8_t>(v)); }, &r);
  HUBSCOPE_RETURN_IF_FAILED(failed);
  return info.Env().Undefined();
}
Napi::Value Segment::Store32(const Napi::CallbackInfo& info) {
  size_t v = 0;
  if (!ToSize(info[1], &v) || v > 0xffffffffu) return FailRange(info.Env(), "store32: value must be 0..2^32-1");
  uint64_t r = 0;
  Napi::Value failed = Atomic<uint32_t>(info, true, [v](uint32_t* p) { return StoreFenced(p, static_cast<uint32_t>(v)); }, &r);
  HUBSCOPE_RETURN_IF_FAILED(failed);
  return info.Env().Undefined();
}
Napi::Value Segment::Store64(const Napi::CallbackInfo& info) {
  uint64_t v = 0;
  if (!ToU64(info[1], &v)) return FailRange(info.Env(), "store64: value must be a bigint 0..2^64-1");
  uint64_t r = 0;
  Napi::Value failed = Atomic<uint64_t>(info, true, [v](uint64_t* p) { return StoreFenced(p, v); }, &r);
  HUBSCOPE_RETURN_IF_FAILED(failed);
  return info.Env().Undefined();
}

// cas64(offset, expected, desired) -> true if the value was `expected` and is now `desired`.
Napi::Value Segment::Cas64(const Napi::CallbackInfo& info) {
  uint64_t expected = 0, desired = 0;
  if (!ToU64(info[1], &expected) || !ToU64(info[2], &desired)) {
    return FailRange(info.Env(), "cas64: expected and desired must be bigints 0..2^64-1");
  }
  uint64_t r = 0;
  Napi::Value failed = Atomic<uint64_t>(
      info, true,
      [expected, desired](uint64_t* p) mutable -> uint64_t {
        return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) ? 1 : 0;
      },
      &r);
  HUBSCOPE_RETURN_IF_FAILED(failed);
  return Napi::Boolean::New(info.Env(), r != 0);
}

// add64(offset, delta) -> previous value; delta is a bigint taken modulo 2^64 (use 2^64-1 to subtract 1).
Napi::Value Segment::Add64(const Napi::CallbackInfo& info) {
  uint64_t delta = 0;
  if (!ToU64(info[1], &delta)) return FailRange(info.Env(), "add64: delta must be a bigint 0..2^64-1");
  uint64_t r = 0;
  Napi::Value failed = Atomic<uint64_t>(
      info, true, [delta](uint64_t* p) -> uint64_t { return __atomic_fetch_add(p, delta, __ATOMIC_SEQ_CST); }, &r);
  HUBSCOPE_RETURN_IF_FAILED(failed);
  return Napi::BigInt::New(info.Env(), r);
}

}  // namespace hubscope
