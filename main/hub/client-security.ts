// Which keys a MessageHub connection uses (docs/security.md). Given: the broker's
// public key (and optionally this client's key pair), or `open`. Not given: the
// broker's key is looked up in its endpoint file in the discovery directory, then in
// this user's own broker key file (same machine), and this user's client key pair is
// made on first use; when no broker key is found the connection is open.
//
// This user's own broker key is only a guess (the broker on this port may be an
// open one, e.g. `hubscope broker --open`): when a broker turns out not to speak
// CURVE to a guessed key, broker-connection.ts retries once without CURVE and the
// endpoint is remembered as open here. A key given explicitly or found in an
// endpoint file is never dropped that way.
import { existsSync } from 'node:fs';
import { chooseDiscoveryDir } from '../discovery/directory.js';
import { scanDiscoveryDir } from '../discovery/scan.js';
import {
  brokerKeyPath,
  clientKeyPath,
  keyProblem,
  loadOrCreateKeyPair,
  readKeyFile,
  requireCurve,
  type CurveKeyPair,
} from '../keys/index.js';

/** How a client authenticates: `{ open: true }`, or CURVE with the broker's public key. */
export type HubSecurity = { open: true } | { serverKey: string; clientKeys?: CurveKeyPair };

/** What one connection attempt uses; `source` says where the server key came from (for errors). */
export type ResolvedSecurity =
  | {
      curve: false;
      source: string;
      /** True when the endpoint was remembered as open after a guessed key failed (see rememberOpenBroker). */
      rememberedOpen?: boolean;
    }
  | {
      curve: true;
      serverKey: string;
      clientKeys: CurveKeyPair;
      source: string;
      /** The key is this user's own broker key, taken only because the endpoint is local: it may be wrong. */
      guessed: boolean;
    };

/** Local endpoints whose broker did not speak CURVE to this user's broker key (for this process). */
const openEndpoints = new Set<string>();

const normEndpoint = (e: string) => e.replace(/^tcp:\/\/localhost:/, 'tcp://127.0.0.1:').replace(/\/+$/, '');

/** The broker at `endpoint` turned out to be open while a guessed key was tried: connect without CURVE from now on. */
export function rememberOpenBroker(endpoint: string): void {
  openEndpoints.add(normEndpoint(endpoint));
}

/** The broker at `endpoint` asked for CURVE after all (it was restarted with CURVE): guess the key again. */
export function forgetOpenBroker(endpoint: string): void {
  openEndpoints.delete(normEndpoint(endpoint));
}

function sameEndpoint(a: string, b: string): boolean {
  return normEndpoint(a) === normEndpoint(b);
}

function isLocal(endpoint: string): boolean {
  return /^(ipc|inproc):\/\//.test(endpoint) || /^tcp:\/\/(127\.0\.0\.1|localhost|\[::1\]):/.test(endpoint);
}

async function serverKeyFromEndpointFile(
  endpoint: string,
  dir: string,
): Promise<{ key: string; path: string } | undefined> {
  const scan = await scanDiscoveryDir(dir).catch(() => null);
  const matching = (scan?.brokers ?? []).filter(
    (b) => b.status === 'live' && sameEndpoint(b.endpoint.endpoint, endpoint) && b.endpoint.serverKey,
  );
  matching.sort((a, b) => b.endpoint.updatedAt.localeCompare(a.endpoint.updatedAt));
  const best = matching[0];
  return best?.endpoint.serverKey ? { key: best.endpoint.serverKey, path: best.file } : undefined;
}

/** Decides the keys for one connection attempt to `endpoint`. */
export async function resolveSecurity(
  endpoint: string,
  given: HubSecurity | undefined,
  discoveryDir: string = chooseDiscoveryDir(undefined).dir,
): Promise<ResolvedSecurity> {
  if (given && 'open' in given) return { curve: false, source: 'open: true was asked for' };
  const clientKeys = () => (given && 'serverKey' in given && given.clientKeys) || ownClientKeys();
  if (given) {
    const problem = keyProblem(given.serverKey);
    if (problem) throw new Error(`serverKey: ${problem}`);
    requireCurve();
    return {
      curve: true,
      serverKey: given.serverKey,
      clientKeys: clientKeys(),
      source: 'the serverKey option',
      guessed: false,
    };
  }
  const fromFile = await serverKeyFromEndpointFile(endpoint, discoveryDir);
  if (fromFile) {
    requireCurve();
    return {
      curve: true,
      serverKey: fromFile.key,
      clientKeys: clientKeys(),
      source: `endpoint file ${fromFile.path}`,
      guessed: false,
    };
  }
  const ownBroker = brokerKeyPath();
  if (isLocal(endpoint) && existsSync(ownBroker)) {
    if (openEndpoints.has(normEndpoint(endpoint))) {
      return {
        curve: false,
        source: `the broker there did not speak CURVE to this user's broker key ${ownBroker}`,
        rememberedOpen: true,
      };
    }
    requireCurve();
    const key = readKeyFile(ownBroker).publicKey;
    return {
      curve: true,
      serverKey: key,
      clientKeys: clientKeys(),
      source: `this user's broker key ${ownBroker}`,
      guessed: true,
    };
  }
  return { curve: false, source: `no endpoint file in ${discoveryDir} gives a key for it` };
}

const clientKeysByPath = new Map<string, CurveKeyPair>();

/** This user's client key pair (config dir client.key), made on first use. */
export function ownClientKeys(): CurveKeyPair {
  const path = clientKeyPath();
  let pair = clientKeysByPath.get(path);
  if (!pair) {
    pair = loadOrCreateKeyPair(path).pair;
    clientKeysByPath.set(path, pair);
  }
  return pair;
}
