#!/usr/bin/env bash
# Installs what the benchmarks compare against (ImageMagick), from Debian, when it is missing.
set -u
if [ ! -x /usr/bin/convert ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get install -y imagemagick >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y imagemagick >/dev/null 2>&1) \
    || echo "bench: could not install ImageMagick; its columns will say so" >&2
fi
exit 0
