// HubScope's native addon: the smallest surface that JS cannot do itself.
// Protocol and decoding logic live in TypeScript (main/datablock/); this file
// only registers the exported functions.
#include <napi.h>

namespace {

// Smoke function: proves the addon loads in this runtime (Node or Electron).
Napi::Value Version(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), "hubscope-native 1");
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, Version));
  return exports;
}

NODE_API_MODULE(hubscope_native, Init)
