// Child process of the discovery tests: scans a directory once and prints the
// result as JSON (run as another user to test permission problems).
import { scanDiscoveryDir } from '../../main/discovery/scan.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: discovery-scan-child.ts <dir>');
const result = await scanDiscoveryDir(dir);
process.stdout.write(JSON.stringify({ entries: result.entries.map((e) => e.channel), problems: result.problems }));
