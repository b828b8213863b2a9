// The key files HubScope makes on first use in the user's config directory.
import { join } from 'node:path';
import { hubscopeConfigDir } from './config-dir.js';

/** The broker's key pair (`hubscope broker`, the app's embedded broker). */
export function brokerKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(hubscopeConfigDir(env), 'broker.key');
}

/** This user's client key pair (the app, `hubscope demo`, createProducer). */
export function clientKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(hubscopeConfigDir(env), 'client.key');
}
