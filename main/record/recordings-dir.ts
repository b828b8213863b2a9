// Where the app's Record button writes: one fixed, documented folder per user, so a
// recording can always be found again (docs/recording.md). `hubscope record -o`
// writes where it is told instead.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** $XDG_DATA_HOME/hubscope/recordings, else ~/.local/share/hubscope/recordings. */
export function defaultRecordingsDir(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG base directory spec says a relative XDG_DATA_HOME is to be ignored.
  const xdg = env.XDG_DATA_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'hubscope', 'recordings');
  return join(env.HOME || homedir(), '.local', 'share', 'hubscope', 'recordings');
}

/** A file name for a recording started at `at`: the time, then the channels (made safe for a file name). */
export function recordingFileName(channels: readonly string[], at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');
  const ms = String(at.getUTCMilliseconds()).padStart(3, '0');
  const first = (channels[0] ?? 'recording').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  const more = channels.length > 1 ? `+${channels.length - 1}` : '';
  return `${stamp}-${ms}-${first}${more}.mcap`;
}
