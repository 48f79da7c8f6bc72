#!/usr/bin/env bash
# Installs what section (f) compares against (ImageMagick), from Debian, when it is missing and
# (f) is among the sections asked for (BENCH unset means all). Only as root, with apt-get.
set -u
case ",${BENCH:-f}," in *,f,*) ;; *) exit 0 ;; esac
if [ ! -x /usr/bin/convert ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get install -y imagemagick >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y imagemagick >/dev/null 2>&1) \
    || echo "bench: could not install ImageMagick; its columns will say so" >&2
fi
exit 0
