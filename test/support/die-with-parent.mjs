// Preloaded (`node --import`) into every process a test starts, and through
// NODE_OPTIONS into their children too: when the process that started this one
// goes away (a test worker killed with SIGKILL, a crashed vitest), this process
// is reparented, and then stops itself instead of running on for minutes.
// Plain .mjs so it loads before tsx and in the built CLI alike.
const startedBy = process.ppid;

function parentGone() {
  clearInterval(poll);
  // SIGTERM first so the child's own cleanup (unlinking segments, endpoint
  // files) runs; exit anyway if that handler does not end the process.
  setTimeout(() => process.exit(70), 2000).unref();
  process.kill(process.pid, 'SIGTERM');
}

const poll = setInterval(() => {
  if (process.ppid !== startedBy) parentGone();
}, 200);
poll.unref();
