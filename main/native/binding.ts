// Loads the N-API addon built by node-gyp at install time. The same file
// loads in Node and in Electron (N-API is ABI-stable across both).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

/** What native/src/*.cc exports. Keep in step with Init() in addon.cc. */
export interface NativeBinding {
  version(): string;
}

let binding: NativeBinding | undefined;

export function native(): NativeBinding {
  if (binding) return binding;
  const require = createRequire(import.meta.url);
  const file = join(packageRoot(), 'build', 'Release', 'hubscope_native.node');
  try {
    binding = require(file) as NativeBinding;
  } catch (err) {
    throw new Error(
      `HubScope's native addon could not be loaded from ${file} (${(err as Error).message}). ` +
        'Run `npm run build:native` (needs python3, make and a C++ compiler).',
    );
  }
  return binding;
}
