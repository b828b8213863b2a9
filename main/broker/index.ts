// Public API of the MessageHub broker.
export {
  Broker,
  startBroker,
  DEFAULT_BROKER_ENDPOINT,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  type BrokerOptions,
  type BrokerChange,
  type BrokerStatus,
} from './broker.js';
export { createLogger, silentLogger, isLogLevel, type Logger, type LogLevel } from './logger.js';
export { DEFAULT_RATE_LIMIT, type RateLimit } from './rate-limiter.js';
