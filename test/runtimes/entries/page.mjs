// Chromium: a page's module script; the test reads the settled result from the page.
import * as mfakit from 'mfakit';
import { runChecks } from '../check.ts';

globalThis.__mfakitCheck = runChecks(mfakit).then(
  (report) => ({ report }),
  (err) => ({ error: String(err?.stack ?? err) }),
);
