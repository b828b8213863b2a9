// Runs in the worker before each test file: the worker's pid joins the run's
// pid list (so segments it leaves are traced to the run), and the children the
// file started are killed when it ends, whatever its own cleanup did.
import { afterAll } from 'vitest';
import { killAllChildren } from './processes.js';
import { recordRunPid } from './run-marker.js';

recordRunPid(process.pid);
afterAll(() => killAllChildren());
