// How a broker authenticates (docs/security.md): CURVE with any key (the default),
// CURVE with an allow-list, or open. Gives the ROUTER its CURVE options, answers the
// ZAP handler, verifies the key proof in HELLO and reports allow-list changes.
import { randomUUID } from 'node:crypto';
import {
  brokerKeyPath,
  helloProof,
  keyFingerprint,
  loadOrCreateKeyPair,
  requireCurve,
  watchAllowList,
  type AllowListWatch,
  type CurveKeyPair,
} from '../keys/index.js';
import { AUTH_PROTOCOL_VERSION, type RequestBody, type SecurityModeT } from '../protocol/messages.js';
import { BrokerError } from './broker-error.js';
import type { Logger } from './logger.js';
import type { ClientKey } from './session.js';
import { acquireZap, releaseZap, type ZapPolicy } from './zap-handler.js';

export interface BrokerSecurityOptions {
  /** No CURVE at all: anyone who reaches the endpoint may do anything. Only when asked for. */
  open?: boolean;
  /** The broker's key pair; default: made on first start in the user's config directory (broker.key). */
  keyPair?: CurveKeyPair;
  /** Allow-list file: only the client keys listed may connect (reloaded when it changes). */
  allowFile?: string;
}

export interface HelloSecurity {
  mode: SecurityModeT;
  serverKey?: string;
  serverKeyFingerprint?: string;
  clientKeyFingerprint?: string;
}

export class BrokerSecurity {
  readonly mode: SecurityModeT;
  readonly keyPair: CurveKeyPair | undefined;
  readonly serverKeyFingerprint: string | undefined;
  /** Set when the key pair was made by this start (logged, so the operator knows). */
  readonly keyFileCreated: string | undefined;
  private readonly zapDomain = `hubscope-${randomUUID()}`;
  private allow: AllowListWatch | undefined;
  private zapHeld = false;

  constructor(
    private readonly options: BrokerSecurityOptions,
    private readonly logger: Logger,
  ) {
    if (options.open && (options.keyPair || options.allowFile)) {
      throw new Error('an open broker takes no key pair and no allow-list (open means no CURVE)');
    }
    if (options.open) {
      this.mode = 'open';
      return;
    }
    requireCurve();
    if (options.keyPair) {
      this.keyPair = options.keyPair;
    } else {
      const path = brokerKeyPath();
      const loaded = loadOrCreateKeyPair(path);
      this.keyPair = loaded.pair;
      if (loaded.created) this.keyFileCreated = path;
    }
    this.serverKeyFingerprint = keyFingerprint(this.keyPair.publicKey);
    this.mode = options.allowFile ? 'allow-list' : 'curve';
  }

  get curve(): boolean {
    return this.mode !== 'open';
  }

  /** ROUTER options: CURVE server with this key pair, authenticated through our ZAP domain. */
  socketOptions(): { curveServer?: boolean; curvePublicKey?: string; curveSecretKey?: string; zapDomain?: string } {
    if (!this.keyPair) return {};
    return {
      curveServer: true,
      curvePublicKey: this.keyPair.publicKey,
      curveSecretKey: this.keyPair.secretKey,
      zapDomain: this.zapDomain,
    };
  }

  /**
   * Loads the allow-list and registers with the ZAP handler; `revoked` is called with
   * the keys no longer allowed after each change of the file.
   */
  async start(revoked: (allowed: (key: string) => boolean) => void): Promise<void> {
    if (!this.curve) return;
    if (this.options.allowFile) {
      const path = this.options.allowFile;
      this.allow = watchAllowList(
        path,
        (keys) => {
          this.logger.info('allow-list reloaded', { path, keys: keys.size });
          revoked((key) => keys.has(key));
        },
        (problem) => this.logger.error('allow-list unusable', { path, problem }),
      );
      this.logger.info('allow-list loaded', { path, keys: this.allow.keys.size });
    }
    const policy: ZapPolicy = {
      decide: (key) => {
        if (this.permits(key)) return { ok: true };
        this.logger.warn('client key refused (not in the allow-list)', { key: keyFingerprint(key) });
        return { ok: false, reason: 'client key not in the allow-list' };
      },
    };
    await acquireZap(this.zapDomain, policy);
    this.zapHeld = true;
  }

  permits(key: string): boolean {
    return !this.allow || this.allow.keys.has(key);
  }

  /** What HELLO_OK says about security (protocol 2). */
  helloSecurity(client: ClientKey | undefined): HelloSecurity {
    const s: HelloSecurity = { mode: this.mode };
    if (this.keyPair) {
      s.serverKey = this.keyPair.publicKey;
      s.serverKeyFingerprint = this.serverKeyFingerprint!;
    }
    if (client) s.clientKeyFingerprint = client.fingerprint;
    return s;
  }

  /**
   * The client key HELLO proves, checked against the connection's routing id, the key
   * it is already bound to (a second HELLO) and the allow-list. Undefined when open.
   */
  authenticate(
    body: RequestBody<'HELLO'>,
    version: number,
    routingId: Buffer,
    boundTo: ClientKey | undefined,
  ): ClientKey | undefined {
    if (!this.keyPair) return undefined;
    if (version < AUTH_PROTOCOL_VERSION) {
      throw new BrokerError(
        'UNSUPPORTED_VERSION',
        `this broker requires CURVE authentication (HELLO.auth), which needs protocol version ${AUTH_PROTOCOL_VERSION}; the client offered ${body.versions.join(', ')}`,
        { supported: [AUTH_PROTOCOL_VERSION], offered: body.versions },
      );
    }
    const auth = body.auth;
    if (!auth) {
      throw new BrokerError(
        'AUTH_FAILED',
        `this broker (key ${this.serverKeyFingerprint}) requires HELLO.auth: the client's public key and its proof`,
      );
    }
    const fingerprint = keyFingerprint(auth.publicKey);
    if (boundTo && boundTo.key !== auth.publicKey) {
      throw new BrokerError(
        'AUTH_FAILED',
        `this connection is bound to key ${boundTo.fingerprint}; HELLO named key ${fingerprint}`,
        { boundKey: boundTo.fingerprint, key: fingerprint },
      );
    }
    let expected: string;
    try {
      expected = helloProof(this.keyPair.secretKey, auth.publicKey, routingId);
    } catch {
      throw new BrokerError('AUTH_FAILED', `HELLO.auth.publicKey (${fingerprint}) is not a usable Curve25519 key`);
    }
    if (expected !== auth.proof) {
      throw new BrokerError(
        'AUTH_FAILED',
        `HELLO.auth.proof does not prove key ${fingerprint} for this connection (wrong secret key, routing id or broker key)`,
        { key: fingerprint },
      );
    }
    if (!this.permits(auth.publicKey)) {
      throw new BrokerError('AUTH_FAILED', `client key ${fingerprint} is not in the broker's allow-list`, {
        key: fingerprint,
      });
    }
    return { key: auth.publicKey, fingerprint };
  }

  close(): void {
    this.allow?.close();
    if (this.zapHeld) releaseZap(this.zapDomain);
    this.zapHeld = false;
  }
}
