// Debian's Chromium driven by playwright-core. Never downloads a browser; Playwright
// gives every launch a fresh temporary profile.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.HUBSCOPE_CHROMIUM ?? '/usr/bin/chromium';

/** The flags every HubScope run of Chromium uses (tests and benchmarks): no sandbox, GPU or background traffic. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}. Run \`apt-get install -y chromium\` (.ci/run does this).`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}
