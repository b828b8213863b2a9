import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../main/paths.js';
import { discoveryJsonSchemaFiles } from '../../main/discovery/json-schema-files.js';
import { validateBrokerEndpoint, validateChannelDescriptor } from '../../main/discovery/validate.js';
import { brokerFileName, classifyFileName, descriptorFileName } from '../../main/discovery/names.js';
import { chooseDiscoveryDir } from '../../main/discovery/directory.js';
import { assessLiveness, STALE_MULTIPLE } from '../../main/discovery/liveness.js';
import { BROKER_ENDPOINT_FORMAT } from '../../main/discovery/format.js';
import { sampleDescriptor } from './discovery-helpers.js';

describe('descriptor validation', () => {
  it('accepts a complete descriptor and computes the fingerprint of an inline schema (spec test vector)', () => {
    const v = validateChannelDescriptor(sampleDescriptor('lab.demo.counter'));
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.value.fingerprint).toBe('f589d7f1a72cdfef9ae5b5b1b4dab355810f49c07835ca71dc68873df91f0bcb');
    expect(v.value.schemaId).toBe('lab.demo.counter');
    expect(v.value.schemaVersion).toBe(1);
  });

  it('accepts the id + version + fingerprint form', () => {
    const d = sampleDescriptor('a', { schema: { id: 'a', version: 2, fingerprint: 'ab'.repeat(32) } });
    const v = validateChannelDescriptor(d);
    expect(v.ok && v.value.fingerprint).toBe('ab'.repeat(32));
  });

  it('names the field, the allowed values and the bad value', () => {
    const d = sampleDescriptor('a') as unknown as Record<string, unknown>;
    d.dataBlock = { ...(d.dataBlock as object), policy: 'Triple' };
    delete d.pid;
    const v = validateChannelDescriptor(d);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.reason).toContain('"pid" is missing');
    expect(v.reason).toContain('"dataBlock.policy" must be one of Single, DoubleBuffer, RingBuffer, got "Triple"');
  });

  it('rejects bad dates, unsupported format versions, non-objects and fingerprint disagreements', () => {
    const bad = (x: unknown) => {
      const v = validateChannelDescriptor(x);
      return v.ok ? 'accepted' : v.reason;
    };
    expect(bad({ ...sampleDescriptor('a'), updatedAt: 'yesterday' })).toContain('"updatedAt" must be an ISO date-time');
    expect(bad({ ...sampleDescriptor('a'), format: 'hubscope.discovery/2' })).toContain(
      'unsupported format version "hubscope.discovery/2"',
    );
    expect(bad([1, 2])).toContain('expected a JSON object, got an array');
    expect(bad({ ...sampleDescriptor('a'), format: undefined })).toContain('"format" is missing');
    const d = sampleDescriptor('a');
    expect(bad({ ...d, schema: { ...d.schema, fingerprint: '00'.repeat(32) } })).toContain(
      'does not match the fingerprint of "schema.definition"',
    );
    expect(bad({ ...d, schema: { id: 'a', version: 1 } })).toContain('missing fingerprint');
    expect(
      bad({ ...d, schema: { definition: { id: 'a', version: 1, slot: { packing: 'weird', fields: [] } } } }),
    ).toContain('schema.definition');
    expect(bad({ ...d, createdAt: '2030-01-01T00:00:00Z', updatedAt: '2029-01-01T00:00:00Z' })).toContain(
      'before "createdAt"',
    );
  });

  it('validates broker endpoint files', () => {
    const now = new Date().toISOString();
    const ok = validateBrokerEndpoint({
      format: BROKER_ENDPOINT_FORMAT,
      endpoint: 'tcp://127.0.0.1:5570',
      host: 'h',
      pid: 5,
      startedAt: now,
      updatedAt: now,
      heartbeatIntervalMs: 1000,
    });
    expect(ok.ok).toBe(true);
    const bad = validateBrokerEndpoint({
      format: BROKER_ENDPOINT_FORMAT,
      host: 'h',
      pid: 5,
      startedAt: now,
      updatedAt: now,
      heartbeatIntervalMs: 1000,
    });
    expect(!bad.ok && bad.reason).toContain('"endpoint" is missing');
  });
});

describe('file names', () => {
  it('round-trips channel names, including unsafe characters and a leading dot', () => {
    for (const channel of ['lab.demo.counter', 'a/b c', '.hidden', 'x%y', 'ünï', 'broker.h.1']) {
      const name = descriptorFileName(channel);
      expect(name.startsWith('.')).toBe(false);
      expect(name.includes('/')).toBe(false);
      expect(classifyFileName(name)).toEqual({ kind: 'channel', channel });
    }
  });

  it('classifies broker files, temp files and other names', () => {
    expect(classifyFileName(brokerFileName('lab-pc.local', 123))).toEqual({
      kind: 'broker',
      host: 'lab-pc.local',
      pid: 123,
    });
    expect(classifyFileName('.lab.channel.json.77.abc.tmp').kind).toBe('ignored');
    expect(classifyFileName('notes.txt').kind).toBe('unknown');
    expect(classifyFileName('.channel.json').kind).toBe('ignored');
  });
});

describe('default directory', () => {
  it('prefers the option, then $HUBSCOPE_DISCOVERY_DIR, then $XDG_RUNTIME_DIR, then the home directory', () => {
    expect(chooseDiscoveryDir('/x', { HUBSCOPE_DISCOVERY_DIR: '/y' })).toMatchObject({ dir: '/x', source: 'option' });
    expect(
      chooseDiscoveryDir(undefined, { HUBSCOPE_DISCOVERY_DIR: '/y', XDG_RUNTIME_DIR: '/run/user/1' }),
    ).toMatchObject({ dir: '/y', source: 'env' });
    expect(chooseDiscoveryDir(undefined, { XDG_RUNTIME_DIR: '/run/user/1' })).toMatchObject({
      dir: '/run/user/1/hubscope/discovery',
      perUser: true,
    });
    expect(chooseDiscoveryDir(undefined, {}).dir.endsWith('/.hubscope/discovery')).toBe(true);
  });
});

describe('staleness rule', () => {
  const base = { localHost: 'me', pidAlive: (pid: number) => pid === process.pid, firstSeenAt: 0 };
  const writer = (ageMs: number, host = 'far', interval = 1000) => ({
    host,
    pid: 777_777,
    updatedAt: new Date(1_000_000_000_000 - ageMs).toISOString(),
    heartbeatIntervalMs: interval,
  });
  const now = 1_000_000_000_000;

  it('other host: stale once the heartbeat is older than the documented multiple of its interval', () => {
    expect(assessLiveness(writer(STALE_MULTIPLE * 1000 - 1), { ...base, now }).status).toBe('live');
    const v = assessLiveness(writer(STALE_MULTIPLE * 1000 + 1), { ...base, now });
    expect(v.status).toBe('stale');
    expect(v.reason).toContain('no heartbeat from far');
  });

  it('other host: a file seen changing recently is live even when its writer clock lags', () => {
    expect(assessLiveness(writer(60_000), { ...base, now, changeObservedAt: now - 500 }).status).toBe('live');
  });

  it('other host: updatedAt far in the future is clock skew, judged by observation', () => {
    const v = assessLiveness(writer(-3_600_000), { ...base, now, firstSeenAt: now - 10_000 });
    expect(v.status).toBe('stale');
    expect(v.reason).toContain('clock of far is ahead');
  });

  it('other host without heartbeat: unknown', () => {
    expect(assessLiveness(writer(0, 'far', 0), { ...base, now }).status).toBe('unknown');
  });

  it('this host: dead pid is stale, a different boot is stale, a running pid is live', () => {
    expect(assessLiveness(writer(0, 'me'), { ...base, now }).status).toBe('stale');
    const alive = { ...writer(0, 'me'), pid: process.pid };
    expect(assessLiveness(alive, { ...base, now }).status).toBe('live');
    expect(assessLiveness({ ...alive, bootId: 'old' }, { ...base, now, localBootId: 'new' }).status).toBe('stale');
    expect(assessLiveness({ ...alive, updatedAt: new Date(now - 60_000).toISOString() }, { ...base, now }).status).toBe(
      'unknown',
    );
  });
});

describe('JSON Schema documents', () => {
  it('docs/discovery/*.json match the TypeBox definitions (regenerate: npx tsx main/discovery/json-schema-files.ts --write)', () => {
    for (const f of discoveryJsonSchemaFiles()) {
      const onDisk = readFileSync(join(packageRoot(), f.path), 'utf8');
      // Compared as JSON, not text: `npm run format` may re-wrap the file.
      expect(JSON.parse(onDisk), `${f.path} drifted from main/discovery/format.ts`).toEqual(JSON.parse(f.text));
    }
  });
});
