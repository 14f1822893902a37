#!/usr/bin/env bash
# Builds libmobilevit_jpeg.so (jpeg_region.c and jpeg_restarts.c against libjpeg-turbo's
# libjpeg.so.62) into the folder given, where JNA finds it on the class path (Maven runs this before
# the tests; see data/pom.xml).
# Without a C compiler or libjpeg's headers (Debian/Ubuntu: apt-get install gcc libjpeg62-turbo-dev)
# it builds nothing and says so: the loaders then decode whole JPEGs, at the same pixels, more slowly.
set -euo pipefail
out="$1"
here="$(cd "$(dirname "$0")" && pwd)"
cc="${CC:-cc}"
if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
  echo "[jpeg_region] not built: only Linux x86-64 is supported, this is $(uname -s)-$(uname -m)"
  exit 0
fi
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "[jpeg_region] not built: no C compiler ($cc); install gcc and libjpeg62-turbo-dev for region decoding"
  exit 0
fi
if ! echo '#include <stdio.h>
#include <jpeglib.h>' | "$cc" -E - >/dev/null 2>&1; then
  echo "[jpeg_region] not built: jpeglib.h not found; install libjpeg62-turbo-dev for region decoding"
  exit 0
fi
mkdir -p "$out"
# -z now: a libjpeg without jpeg_crop_scanline (not libjpeg-turbo) fails at load time, not mid-call.
# A failed compile (another libjpeg's headers, say) leaves the build whole-image only, as above.
if ! errors="$("$cc" -O2 -std=c99 -Wall -Wextra -Werror -fPIC -shared -Wl,-z,now \
    -o "$out/libmobilevit_jpeg.so" "$here/jpeg_region.c" "$here/jpeg_restarts.c" -ljpeg 2>&1)"; then
  rm -f "$out/libmobilevit_jpeg.so"
  echo "[jpeg_region] not built: $cc failed (it needs libjpeg-turbo's jpeglib.h and libjpeg.so, from libjpeg62-turbo-dev):"
  echo "$errors" | head -5
  exit 0
fi
echo "[jpeg_region] built $out/libmobilevit_jpeg.so"
