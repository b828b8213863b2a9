// A mapped DataBlock segment (POSIX shm or a plain file) exposed to JS.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace hubscope {

// What the latest(ring) hot path needs, shared between the Segment and its
// `ring` external (which may outlive it): `open` turns false before the
// mapping goes away, so a stale ring throws instead of touching it.
struct RingState {
  ~RingState() { ReleaseDest(); }
  void ReleaseDest() {
    if (dest_ref != nullptr) napi_delete_reference(env, dest_ref);
    dest_ref = nullptr;
  }
  napi_env env = nullptr;
  std::string name;
  int fd = -1;
  const uint8_t* base = nullptr;
  size_t size = 0;
  bool open = false;
  bool ring_set = false;
  size_t off_rw = 0, off_cks = 0, off_ring = 0, capacity = 0, stride = 0;
  // Destination bound by bindDest(): a strong reference keeps the Uint8Array
  // alive; its length is re-checked on every call (0 once detached) before the
  // cached data pointer is used.
  napi_ref dest_ref = nullptr;
  uint8_t* dest_data = nullptr;
  size_t dest_len = 0;
};

class Segment : public Napi::ObjectWrap<Segment> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Segment(const Napi::CallbackInfo& info);
  ~Segment() override;
  // Module-level raw N-API function latest(ring): the snapshot hot path, where
  // node-addon-api's wrapper and napi_unwrap would cost ~70 ns per call.
  static napi_value Latest(napi_env env, napi_callback_info info);

 private:
  // Returns the mapped address of [offset, offset+length) or null after
  // throwing a JS error (closed, out of range, misaligned, read-only).
  uint8_t* At(Napi::Env env, const Napi::Value& offset, size_t length, size_t align, bool write);
  void Unmap();
  void ThrowBus(Napi::Env env, const char* what);
  // Runs op on the T at info[0] inside guarded(); returns an empty handle on
  // success (result in *result) or undefined after throwing.
  template <typename T, typename Op>
  Napi::Value Atomic(const Napi::CallbackInfo& info, bool write, Op op, uint64_t* result);

  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value FileInfo(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Snapshot(const Napi::CallbackInfo& info);
  Napi::Value SetRing(const Napi::CallbackInfo& info);
  Napi::Value BindDest(const Napi::CallbackInfo& info);
  Napi::Value Load8(const Napi::CallbackInfo& info);
  Napi::Value Load32(const Napi::CallbackInfo& info);
  Napi::Value Load64(const Napi::CallbackInfo& info);
  Napi::Value Store8(const Napi::CallbackInfo& info);
  Napi::Value Store32(const Napi::CallbackInfo& info);
  Napi::Value Store64(const Napi::CallbackInfo& info);
  Napi::Value Cas64(const Napi::CallbackInfo& info);
  Napi::Value Add64(const Napi::CallbackInfo& info);

  std::string name_;
  int fd_ = -1;
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  bool writable_ = false;
  std::shared_ptr<RingState> ring_;
};

}  // namespace hubscope
