// Regression test: SIGBUS faults on a truncated segment must leave the process
// healthy. Run in a child so a crash (SIGSEGV, exit 139) is a failed assertion,
// not a dead test worker. See native/src/guard.h, "Protection keys".
import { describe, expect, it } from 'vitest';
import { blake2b256, toHex } from '../../main/datablock/blake2b.js';
import { ROOT, spawnNode } from '../support/processes.js';
import { uniqueName, unlinkQuietly } from './datablock-helpers.js';

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(mode: 'reader' | 'writer', name: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawnNode(['--import', 'tsx', 'test/unit/native-fault-child.ts', mode, name], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('faults on a truncated segment', () => {
  for (const mode of ['reader', 'writer'] as const) {
    it(`leave the ${mode}'s process able to run WebAssembly afterwards`, async () => {
      const name = uniqueName(`pkey-${mode}`);
      try {
        const result = await runChild(mode, name);
        expect({ code: result.code, signal: result.signal, stderr: result.stderr }).toEqual({
          code: 0,
          signal: null,
          stderr: '',
        });
        const report = JSON.parse(result.stdout.trim()) as {
          faults: number;
          digest: string;
          keysBefore: string;
          keysAfter: string;
        };
        expect(report.faults).toBe(mode === 'reader' ? 150 : 50);
        expect(report.digest).toBe(toHex(blake2b256(new Uint8Array(65536))));
        // The thread's protection-key register is as the faults found it.
        expect(report.keysAfter).toBe(report.keysBefore);
      } finally {
        unlinkQuietly(name);
      }
    });
  }
});
