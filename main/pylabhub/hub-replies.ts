// Reading the hub's replies where they may differ from the spec: the hub wins, so a
// difference is recorded once (status.differences) and the work goes on; and the text
// of an ERROR reply for the sentences that quote it. Shared by the poll and the
// consumer attachments, which note into the same list.
import type { PlhReply } from './hub-client.js';
import { PLH_REPLIES, plhBodyProblems, strField, type PlhMsgType } from './messages.js';

/** Differences kept (each once); beyond that they are counted in the last entry only. */
const MAX_DIFFERENCES = 50;

export class HubDifferences {
  private readonly list: string[] = [];
  private readonly seen = new Set<string>();

  note(text: string): void {
    if (this.seen.has(text)) return;
    this.seen.add(text);
    if (this.list.length < MAX_DIFFERENCES) this.list.push(text);
  }

  /** A copy, in the order first seen. */
  all(): string[] {
    return [...this.list];
  }

  /** Notes a reply type the spec does not name for `request`, or the body's problems. */
  checkReply(request: PlhMsgType, reply: PlhReply): void {
    const expected = PLH_REPLIES[request] ?? [];
    if (!expected.includes(reply.msgType as PlhMsgType)) {
      this.note(`${request} answered with ${reply.msgType}, expected ${expected.join(' or ')}`);
      return;
    }
    for (const p of plhBodyProblems(reply.msgType, reply.body)) this.note(p);
  }
}

/** `CODE: message: reason r` of a reply that is not the expected ACK (at most 300 chars). */
export function replyErrorText(reply: PlhReply): string {
  const code = strField(reply.body, 'error_code');
  const message = strField(reply.body, 'message');
  const reason = strField(reply.body, 'reason');
  const parts = [code ?? reply.msgType, message, reason ? `reason ${reason}` : null].filter(Boolean);
  return parts.join(': ').slice(0, 300);
}
