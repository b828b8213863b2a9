// `prepack` of the checkout: plain `npm pack` here would make a package without
// `bin`, without the prebuilt addon and with the checkout's `prepare` build, so
// it stops and names the script that packs the installable package from a
// staging directory (scripts/pack-cli.js says why it is done that way).
console.error(
  'HubScope: `npm pack` in the checkout is not the installable package. Run `npm run pack:cli` ' +
    '(release/hubscope-<version>.tgz, for npm install -g; see scripts/pack-cli.js).',
);
process.exit(1);
