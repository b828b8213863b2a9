// Where HubScope keeps its keys: $XDG_CONFIG_HOME/hubscope, else $HOME/.config/hubscope.
// HOME is read from the environment (not the password database), so a process run
// with a temporary HOME, as every test is, never touches the user's own keys.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function hubscopeConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'hubscope');
  return join(env.HOME || homedir(), '.config', 'hubscope');
}
