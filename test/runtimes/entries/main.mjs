// Node, Bun and Deno: `mfakit` is left to the runtime's own resolver (the package's exports, dist/).
import * as mfakit from 'mfakit';
import { runChecks } from '../check.ts';

console.log(JSON.stringify(await runChecks(mfakit)));
