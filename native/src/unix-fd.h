// AF_UNIX client calls for the pylabhub shared-memory hand-over (unix-fd.cc).
#pragma once

#include <napi.h>

namespace hubscope {

// Adds unixConnect, unixWrite, unixRead, unixReceiveFd and closeFd to exports.
void RegisterUnixFd(Napi::Env env, Napi::Object exports);

}  // namespace hubscope
