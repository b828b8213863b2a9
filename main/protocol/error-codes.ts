// The closed list of error codes of the MessageHub protocol (AUTH_FAILED since version 2).
// BROKER_ERROR_CODES travel in ERROR replies; CLIENT_ERROR_CODES are raised by the
// client library itself (no broker involved). Each code carries the meaning and the
// action a client should take, so docs/protocol.md and the ERROR body say the same thing.

export interface ErrorCodeInfo {
  /** What happened, for a person. */
  meaning: string;
  /** What a client should do about it. */
  action: string;
}

export const BROKER_ERROR_CODES = {
  BAD_REQUEST: {
    meaning:
      'The message was malformed: wrong frame count, a tag that is not "HS" followed by digits, a bad type frame or correlation id, a body that is not a JSON object, a field of the wrong type or format, or fields that contradict each other.',
    action: 'Fix the message; the message names the field and value. Do not retry unchanged.',
  },
  UNSUPPORTED_VERSION: {
    meaning:
      'None of the protocol versions offered in HELLO is spoken by this broker (a CURVE broker speaks only 2 and later), or the frame tag is "HS" followed by a number other than 1 (another framing version, e.g. HS2).',
    action: 'Upgrade the client or the broker; details.supported lists the versions the broker speaks.',
  },
  HELLO_REQUIRED: {
    meaning:
      'The broker does not know this connection: HELLO was not sent, the connection said BYE, or the broker restarted or expired the session.',
    action: 'Send HELLO, then register everything again.',
  },
  UNKNOWN_TYPE: {
    meaning: 'The message type is not a request type of the negotiated protocol version.',
    action: 'Do not send it; check the type name and the negotiated version.',
  },
  TOO_LARGE: {
    meaning: 'The message is larger than the broker accepts (HELLO_OK.maxMessageBytes).',
    action: 'Send a smaller message (split lists, shorten descriptions).',
  },
  RATE_LIMITED: {
    meaning:
      'This connection sent more messages per second than the broker allows; further messages are dropped for a while.',
    action: 'Slow down and retry after a short pause (details.retryAfterMs).',
  },
  NOT_FOUND: {
    meaning: 'The channel, schema or registration named in the request does not exist.',
    action: 'Check the name; create or register it first.',
  },
  PENDING: {
    meaning:
      'The channel exists but has no live producer yet (state pending or closing), and the wait (if any) ran out.',
    action:
      'Retry DISCOVER later or with a longer waitMs, or register as a consumer to be told when it becomes active.',
  },
  SCHEMA_INVALID: {
    meaning:
      'The schema document (SCHEMA_REGISTER.schema, PRODUCER_REGISTER.schemaDefinition) does not follow the DataBlock schema format (docs/datablock-format.md, "Schemas, BLDS and fingerprints"): a bad type, packing, count or length, an empty or missing field list, a duplicate field name.',
    action: 'Fix the schema; the message names the field and value.',
  },
  SCHEMA_MISMATCH: {
    meaning:
      'Two schema fingerprints that must agree differ (consumer expectation vs channel, or a claimed fingerprint vs the one the broker computed).',
    action:
      'Use the schema the channel is published with; details.expected is the fingerprint from the request (the consumer expectation or the producer claim), details.actual the one the broker has (the channel) or computed (the definition).',
  },
  SCHEMA_CONFLICT: {
    meaning: 'A different schema is already registered under the same id and version.',
    action: 'Register the new layout under a new version number.',
  },
  CHANNEL_OWNED: {
    meaning:
      'Another producer identity (producerUid + host + pid) owns the channel, even while it is stale (one producer per channel); or PRODUCER_DEREGISTER named another producerUid; or, on an authenticated broker, the channel belongs to another client key (registering, deregistering or destroying it is refused).',
    action:
      "Use another channel name, or wait until the owner deregisters or is removed after the liveness timeout; details.owner names it (details.ownerKey is the owning key's fingerprint on an authenticated broker).",
  },
  CONSUMER_ID_TAKEN: {
    meaning:
      'Another live process, or on an authenticated broker another client key, already registered this consumer id on the channel (CONSUMER_REGISTER), or owns the registration named by CONSUMER_DEREGISTER.',
    action: 'Pick a unique consumer id (for example include host and pid); details.ownerKey names the owning key.',
  },
  AUTH_FAILED: {
    meaning:
      'Protocol 2: the broker requires CURVE authentication and HELLO did not prove the client key (auth missing, proof wrong), named another key than the one this connection is bound to, or named a key the allow-list does not hold (or no longer holds).',
    action:
      "Connect with your own key pair and the broker's public key and send HELLO with auth (docs/security.md); ask the broker's operator to add your public key to the allow-list. Do not retry unchanged.",
  },
  // ---------------------------------------------------------------- consumer groups (capability "groups")
  STALE_GENERATION: {
    meaning:
      "A consumer group member acted on a generation older than the group's current one (GROUP_ACK): the group rebalanced since (a member joined, left or died).",
    action:
      'Take the share in details (generation, index, size), process record ids with id mod size == index from the new generation on, and acknowledge it.',
  },
  NOT_A_MEMBER: {
    meaning:
      'GROUP_ACK named a consumer that is not a member of that group on that channel (never joined, left or timed out).',
    action: 'Register the consumer again with the group (CONSUMER_REGISTER.group).',
  },
  // ---------------------------------------------------------------- end of consumer groups
  SHUTTING_DOWN: {
    meaning: 'The broker is shutting down and accepts no new requests.',
    action: 'Reconnect with backoff; a restarted broker will answer HELLO with a new boot id.',
  },
  INTERNAL: {
    meaning: 'The broker failed while handling a valid request (a broker bug).',
    action: 'Retry once; if it persists, report it with the broker log.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export const CLIENT_ERROR_CODES = {
  UNAVAILABLE: {
    meaning:
      'The broker is unreachable: nothing listens at the endpoint, the connection was lost, or the client is between reconnection attempts.',
    action:
      'Fall back (for example to discovery files) or retry later; the client reconnects by itself once it has been connected.',
  },
  TIMEOUT: {
    meaning: 'The broker did not answer within the request timeout.',
    action: 'Retry; if it keeps happening the broker is overloaded or hung.',
  },
  CLOSED: {
    meaning: 'The MessageHub client (or the registration handle) was closed by this process.',
    action: 'Do not use it again; open a new one.',
  },
  SERVER_KEY_MISMATCH: {
    meaning:
      'The CURVE handshake failed because the broker does not hold the secret key of the server key this client was given (another broker answers there, or its key changed).',
    action:
      "Get the broker's current public key (its endpoint file, `hubscope broker` start-up output, the Broker view) and compare fingerprints before trusting it.",
  },
  KEY_REFUSED: {
    meaning: "The broker refused this client's key (its allow-list does not hold it, or it was removed).",
    action: "Ask the broker's operator to add your public key (`hubscope keys show`) to its allow-list.",
  },
  SECURITY_MISMATCH: {
    meaning:
      'Client and broker disagree on security: the broker requires CURVE and the client connected without keys, or the client uses CURVE and the broker is open (--open).',
    action:
      "Give the client the broker's public key (or let it find the endpoint file), or connect to an open broker with { open: true }.",
  },
  PROTOCOL_ERROR: {
    meaning: 'The broker sent a reply this client does not understand (malformed frames or body).',
    action: 'Check that client and broker speak the same protocol version; report it.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type BrokerErrorCode = keyof typeof BROKER_ERROR_CODES;
export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES;
export type HubErrorCode = BrokerErrorCode | ClientErrorCode;

export const BROKER_ERROR_CODE_LIST = Object.keys(BROKER_ERROR_CODES) as BrokerErrorCode[];
export const CLIENT_ERROR_CODE_LIST = Object.keys(CLIENT_ERROR_CODES) as ClientErrorCode[];

export function errorCodeInfo(code: HubErrorCode): ErrorCodeInfo {
  return code in BROKER_ERROR_CODES
    ? BROKER_ERROR_CODES[code as BrokerErrorCode]
    : CLIENT_ERROR_CODES[code as ClientErrorCode];
}

export function isBrokerErrorCode(value: unknown): value is BrokerErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(BROKER_ERROR_CODES, value);
}
