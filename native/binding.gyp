{
  "targets": [
    {
      "target_name": "mcomplete_native",
      "sources": ["mcomplete_native.c"],
      "cflags": ["-O2", "-std=c11", "-Wall", "-Wextra", "-ffp-contract=off"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu", "/usr/include/openblas"],
      "libraries": ["-lopenblas", "-llapacke"]
    }
  ]
}
