{
  "targets": [
    {
      "target_name": "rdtorch",
      "sources": ["addon.cc", "ops.cc", "optim.cc", "allocator.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node ../scripts/find-libtorch.mjs --include)"
      ],
      "libraries": [
        "-L<!(node ../scripts/find-libtorch.mjs --libdir)",
        "-Wl,-rpath,<!(node ../scripts/find-libtorch.mjs --libdir)",
        "-ltorch", "-ltorch_cpu", "-lc10"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "GCC_ENABLE_CPP_RTTI": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      }
    }
  ]
}
