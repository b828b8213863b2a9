// The one place the `hubscope` subcommands parse their arguments, and the
// shapes they share (defined below every layer, in main/shared/command-line.ts).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../shared/command-line.js';

export { UsageError, type CliCommand } from '../shared/command-line.js';

/** Accepted range of a numeric option (its value is still handed back as the text typed). */
export interface NumberRule {
  min: number;
  max: number;
  /** Whole numbers only. */
  integer?: boolean;
}

/** One option as node:util parseArgs takes it (@types/node does not export the name). */
type ParseArgsOptionConfig = NonNullable<ParseArgsConfig['options']>[string];

/** A node:util parseArgs option, optionally declared numeric. */
export type CliOptionConfig = ParseArgsOptionConfig & { number?: NumberRule };

export interface CliArgsConfig extends ParseArgsConfig {
  args: string[];
  options?: Record<string, CliOptionConfig>;
}

// A value such as "-3" or "-.5": parseArgs would take it for an option and call
// the option before it "ambiguous"; no HubScope option starts with a digit.
const NEGATIVE_NUMBER = /^-\.?\d/;

/**
 * `--n -3` → `--n=-3` for every option that takes a value, so a negative number
 * reaches the option's own check instead of parseArgs' "argument is ambiguous".
 */
function joinNegativeValues(args: string[], options: Record<string, CliOptionConfig>): string[] {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (spec.short !== undefined) takesValue.add(`-${spec.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (takesValue.has(arg) && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function describe(rule: NumberRule): string {
  if (rule.integer && rule.min === 1) {
    return Number.isFinite(rule.max) ? `a positive integer up to ${rule.max}` : 'a positive integer';
  }
  return `${rule.integer ? 'a whole number' : 'a number'} from ${rule.min} to ${rule.max}`;
}

/** Throws a UsageError unless `text` is a plain decimal number inside `rule`. */
export function checkNumber(option: string, text: string, rule: NumberRule): number {
  const n = Number(text);
  const shape = rule.integer ? /^-?\d+$/ : /^-?(\d+(\.\d*)?|\.\d+)$/;
  if (!shape.test(text) || !(n >= rule.min && n <= rule.max)) {
    throw new UsageError(`${option} must be ${describe(rule)} (got ${JSON.stringify(text)})`);
  }
  return n;
}

/**
 * node:util parseArgs (strict), with its errors turned into UsageError so the
 * dispatcher prints them with the command's usage instead of a stack trace.
 * Options declared with `number` are checked here, with one wording for all.
 */
export function parseCliArgs<T extends CliArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const options = config.options ?? {};
  const nodeOptions: Record<string, ParseArgsOptionConfig> = {};
  for (const [name, { number: _rule, ...spec }] of Object.entries(options)) nodeOptions[name] = spec;
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs({ ...config, options: nodeOptions, args: joinNegativeValues(config.args, options) } as T);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, unknown>;
  for (const [name, spec] of Object.entries(options)) {
    const value = values[name];
    if (spec.number !== undefined && typeof value === 'string') checkNumber(`--${name}`, value, spec.number);
  }
  return parsed;
}
