// `npm run pack:cli`: the npm package for `npm install -g` (headless machines,
// no compiler, no Electron): release/hubscope-<version>.tgz.
//
// Why a staging directory and not `npm pack` in the checkout: an installed
// package needs a `bin` entry, an `install` script that takes the prebuilt addon
// (node-gyp-build) and no `prepare` build, while the checkout must have no `bin`
// (scripts/link-bin.js explains: npx would install and rebuild the checkout) and
// rebuilds its addon on `npm install`. A prepack/postpack pair would rewrite the
// checkout's package.json for the length of the pack, in a tree other tools (and
// people) use at the same time, and leave it rewritten if the pack dies half way.
// So this script copies the files the checkout's `files` field selects (as npm
// itself lists them) into a staging directory, writes the installed package's
// package.json there (installedManifest below), builds the linux-x64 (or this
// platform's) prebuilt addon there with prebuildify, and packs that directory.
// Plain `npm pack` in the checkout is stopped by its `prepack` script, naming this one.
//
// Options: --no-build (use dist/ as it is; it must be complete), --out DIR
// (default release/), --json (print {"tarball": path} on stdout).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** What the installed CLI loads at run time; the pack fails, naming them, when one is missing. */
const RUNTIME_OUTPUTS = ['dist/main/cli/index.js', 'dist/preload/electron-preload.cjs', 'dist/renderer/index.html'];

function fail(message) {
  console.error(`pack-cli: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const o = { build: true, out: join(root, 'release'), json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--no-build') o.build = false;
    else if (arg === '--json') o.json = true;
    else if (arg === '--out') {
      if (!argv[i + 1]) fail('--out needs a directory');
      o.out = resolve(argv[++i]);
    } else fail(`unknown option ${JSON.stringify(arg)} (known: --no-build, --out DIR, --json)`);
  }
  return o;
}

/** Runs a command, its output on stderr (stdout may carry --json); exits naming it when it fails. */
function run(command, args, cwd, env = process.env) {
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 2, 'inherit'], encoding: 'utf8' });
  if (result.error) fail(`${command} ${args.join(' ')} could not start: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} (in ${cwd}) failed with exit code ${result.status}`);
}

/** `npm pack --dry-run --json` in `dir`: the files npm would put in the package (it applies `files` itself). */
function packedFiles(dir) {
  const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) fail(`npm pack --dry-run failed:\n${result.stderr}`);
  return JSON.parse(result.stdout)[0].files.map((f) => f.path);
}

/**
 * The package.json of the installed package: the checkout's, with a `bin`, an
 * `install` script that uses the prebuilt addon (or builds from the shipped
 * sources where none fits) and no other scripts (no `prepare` build, no bin link:
 * npm links `bin` itself), no devDependencies, and no Electron (the CLI is
 * headless; the desktop app is the electron-builder package).
 */
export function installedManifest(pkg) {
  return {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    private: pkg.private,
    type: pkg.type,
    main: pkg.main,
    bin: { hubscope: 'bin/hubscope.js' },
    engines: pkg.engines,
    files: pkg.files,
    scripts: { install: 'node-gyp-build' },
    dependencies: pkg.dependencies,
  };
}

/**
 * node-gyp needs the running Node's headers. A Node installed with its headers
 * (include/node next to bin/) has them; pointing node-gyp there saves a download
 * that an offline machine cannot make.
 */
function nodeGypEnv() {
  const env = { ...process.env };
  const prefix = dirname(dirname(process.execPath));
  if (!env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')))
    env.npm_config_nodedir = prefix;
  return env;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.build) run('npm', ['run', 'build'], root);
  const missing = RUNTIME_OUTPUTS.filter((p) => !existsSync(join(root, p)));
  if (missing.length) fail(`not built: ${missing.join(', ')}; run \`npm run build\` (or drop --no-build)`);

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  // Inside the checkout so that binding.gyp's `require('node-addon-api')` resolves from its node_modules.
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const stagingParent = mkdtempSync(join(root, '.tmp', 'pack-cli-'));
  const staging = join(stagingParent, 'hubscope');
  try {
    for (const file of packedFiles(root)) {
      mkdirSync(dirname(join(staging, file)), { recursive: true });
      copyFileSync(join(root, file), join(staging, file));
    }
    writeFileSync(join(staging, 'package.json'), JSON.stringify(installedManifest(pkg), null, 2) + '\n');
    // N-API: one prebuilt for every Node >= 20 (and Electron) on this platform and arch.
    const prebuildify = join(root, 'node_modules', 'prebuildify', 'bin.js');
    const strip = existsSync('/usr/bin/strip') ? ['--strip'] : [];
    // Tagged with its libc: a musl machine (Alpine) then builds from source instead of loading a glibc build.
    const tags = ['--tag-libc'];
    run(
      process.execPath,
      [
        prebuildify,
        '--napi',
        ...strip,
        ...tags,
        '--target',
        `node@${process.versions.node}`,
        // node-gyp's header cache: in the staging dir (removed below), not a shared /tmp/prebuildify.
        '--cache',
        join(stagingParent, 'node-gyp'),
      ],
      staging,
      nodeGypEnv(),
    );
    // The addon comes from prebuilds/ (node-gyp-build prefers build/Release, so none may ship).
    rmSync(join(staging, 'build'), { recursive: true, force: true });
    const files = packedFiles(staging);
    if (!files.some((f) => /^prebuilds\/[^/]+\/.+\.node$/.test(f))) fail('prebuildify made no prebuilds/*/*.node');
    mkdirSync(o.out, { recursive: true });
    const result = spawnSync('npm', ['pack', '--json', '--pack-destination', o.out], {
      cwd: staging,
      encoding: 'utf8',
    });
    if (result.status !== 0) fail(`npm pack failed:\n${result.stderr}`);
    const tarball = join(o.out, JSON.parse(result.stdout)[0].filename);
    if (o.json) process.stdout.write(JSON.stringify({ tarball }) + '\n');
    else console.log(`pack-cli: ${tarball} (${files.length} files); install with npm install -g ${tarball}`);
  } finally {
    rmSync(stagingParent, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
