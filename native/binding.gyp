# The native addon. native/build.mjs finds OpenBLAS and LAPACKE (native/find-blas.mjs) and passes the flags as the
# variables below (a bare `node-gyp rebuild` finds Debian/Ubuntu's, in the default paths). -ffp-contract=off on every
# platform (cflags on Linux, xcode_settings on macOS): no fused multiply-adds, so sampledResidual and the factor
# Jacobian's products give the same bits as the TypeScript loops.
{
  "variables": {
    "mcomplete_include_dirs%": "",
    "mcomplete_cflags%": "",
    "mcomplete_library_dirs%": "",
    "mcomplete_libraries%": "-lopenblas -llapacke",
    "mcomplete_ldflags%": ""
  },
  "targets": [
    {
      "target_name": "mcomplete_native",
      "sources": ["mcomplete_native.c"],
      "cflags": ["-O2", "-std=c11", "-Wall", "-Wextra", "-ffp-contract=off", "<@(mcomplete_cflags)"],
      "include_dirs": ["<@(mcomplete_include_dirs)"],
      "library_dirs": ["<@(mcomplete_library_dirs)"],
      "libraries": ["<@(mcomplete_libraries)"],
      "ldflags": ["<@(mcomplete_ldflags)"],
      "xcode_settings": {
        "GCC_C_LANGUAGE_STANDARD": "c11",
        "OTHER_CFLAGS": ["-O2", "-Wall", "-Wextra", "-ffp-contract=off", "<@(mcomplete_cflags)"],
        "OTHER_LDFLAGS": ["<@(mcomplete_ldflags)"]
      }
    }
  ]
}
