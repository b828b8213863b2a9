// Child process: a producer or consumer using MessageHub, reporting every event as a
// JSON line on stdout. Usage: client-process.ts <endpoint> <producer|consumer> <channel>
import { MessageHub } from '../../../main/hub/message-hub.js';
import { COUNTER_SCHEMA, producerInput } from './helpers.js';

const [endpoint, role, channel] = process.argv.slice(2);
if (!endpoint || !channel || (role !== 'producer' && role !== 'consumer')) {
  console.error('usage: client-process.ts <endpoint> <producer|consumer> <channel>');
  process.exit(2);
}
const say = (event: string, extra: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ event, ...extra }) + '\n');

const hub = MessageHub.forEndpoint(endpoint, {
  clientName: `${role}-process`,
  reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
});
hub.on('state', (state) => say('state', { state }));
hub.on('reregistered', (e) => say('reregistered', e));
hub.on('broker-restarted', (e) => say('broker-restarted', e));

async function main(): Promise<void> {
  if (role === 'producer') {
    const h = await hub.registerProducer(
      producerInput(channel!, { schemaDefinition: COUNTER_SCHEMA, producerUid: `uid-${process.pid}` }),
    );
    h.on('consumer-joined', (e) => say('consumer-joined', { consumerId: e.consumer.consumerId }));
    h.on('consumer-left', (e) => say('consumer-left', { consumerId: e.consumerId, reason: e.reason }));
  } else {
    const h = await hub.registerConsumer({ channel: channel!, consumerId: `consumer-${process.pid}` });
    h.on('producer-gone', (e) => say('producer-gone', { reason: e.reason }));
    h.on('channel-active', () => say('channel-active'));
    h.on('channel-closing', (e) => say('channel-closing', { reason: e.reason }));
  }
  say('registered', { bootId: hub.bootId });
}

main().catch((err: unknown) => {
  say('failed', { message: (err as Error).message });
  process.exit(1);
});
process.on('SIGTERM', () => {
  void hub.close().then(() => process.exit(0));
});
