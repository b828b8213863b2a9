{
  "targets": [
    {
      "target_name": "hubscope_native",
      "sources": ["native/src/addon.cc", "native/src/segment.cc", "native/src/guard.cc", "native/src/unix-fd.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra"],
      "conditions": [
        ["OS=='linux'", { "libraries": ["-lrt"] }],
        ["OS=='mac'", { "xcode_settings": { "CLANG_CXX_LANGUAGE_STANDARD": "c++17", "MACOSX_DEPLOYMENT_TARGET": "11.0" } }]
      ]
    }
  ]
}
