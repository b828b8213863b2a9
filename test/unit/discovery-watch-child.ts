// Child of discovery-idle.test.ts: a process whose only work is a watcher. It
// must stay alive on the watcher alone (as `hubscope discovery --watch` does)
// until a descriptor appears, then close it and exit.
import { DiscoveryWatcher, type WatchMode } from '../../main/discovery/watcher.js';

const [dir, mode] = process.argv.slice(2) as [string, WatchMode];
const w = new DiscoveryWatcher({ dir, mode, pollIntervalMs: 20, createDir: false });
await w.start();
w.on('change', () => {
  if (w.entries().length === 0) return;
  console.log('seen');
  void w.close();
});
console.log('ready');
