#!/bin/sh
# Rebuilds the cargo-auditable fixtures (see README.md). Needs gcc, objcopy
# (binutils) and python3; cargo-auditable itself cannot be installed here.
set -eu
cd "$(dirname "$0")"
python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(open("deps.json", "rb").read().strip(), 9))' > deps.zlib
gcc -Os -s -o hello hello.c
# The section as cargo-auditable leaves it: not allocated, not loaded.
objcopy --add-section .dep-v0=deps.zlib --set-section-flags .dep-v0=contents,readonly hello rust-auditable
# A second copy whose section holds bytes that are not zlib data.
printf 'not zlib at all' > garbage.bin
objcopy --add-section .dep-v0=garbage.bin --set-section-flags .dep-v0=contents,readonly hello rust-corrupt
rm -f garbage.bin
