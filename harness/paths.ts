/** Where the package is installed, so the harness can spawn `bin/parley.js` from source or dist. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'bin', 'parley.js'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the parley package root');
    dir = up;
  }
}

export const PACKAGE_ROOT = findRoot();
export const PARLEY_BIN = path.join(PACKAGE_ROOT, 'bin', 'parley.js');
export const PACKAGE_VERSION: string = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;
