#!/usr/bin/env node
// Locates libtorch for the native addon. Prints include dirs (--include), library dirs (--libdir)
// or checks that one is present (--check) with the exact fix when it is not.
// Order: $LIBTORCH (a libtorch folder from pytorch.org or a Python torch package), then Debian's
// libtorch-dev (headers in /usr/include, libraries in the multiarch folder).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const DEBIAN_INCLUDE = '/usr/include';
const DEBIAN_LIBDIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'];

function locate() {
  const custom = process.env.LIBTORCH;
  if (custom) {
    const include = join(custom, 'include');
    const lib = join(custom, 'lib');
    if (!existsSync(join(include, 'torch', 'csrc', 'api', 'include', 'torch', 'torch.h'))) {
      return { error: `LIBTORCH=${custom} has no include/torch/csrc/api/include/torch/torch.h; point LIBTORCH at the unpacked libtorch folder (the one holding include/ and lib/).` };
    }
    return { include: [include, join(include, 'torch', 'csrc', 'api', 'include')], lib };
  }
  if (existsSync(join(DEBIAN_INCLUDE, 'torch', 'csrc', 'api', 'include', 'torch', 'torch.h'))) {
    const lib = DEBIAN_LIBDIRS.find((d) => existsSync(join(d, 'libtorch_cpu.so')));
    if (lib) return { include: [DEBIAN_INCLUDE, join(DEBIAN_INCLUDE, 'torch', 'csrc', 'api', 'include')], lib };
  }
  return {
    error:
      'rewarddance needs libtorch (PyTorch\'s C++ library) and none was found.\n' +
      '  Debian/Ubuntu: sudo apt-get install -y libtorch-dev libopenblas0-pthread\n' +
      '  Elsewhere:     unpack libtorch from pytorch.org and set LIBTORCH=/path/to/libtorch, then npm install again.',
  };
}

const found = locate();
const arg = process.argv[2];
if (found.error) {
  process.stderr.write(`\n${found.error}\n\n`);
  process.exit(1);
}
if (arg === '--include') process.stdout.write(found.include.join(' '));
else if (arg === '--libdir') process.stdout.write(found.lib);
