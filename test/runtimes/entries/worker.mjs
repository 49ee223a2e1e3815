// workerd: an ES module worker whose fetch handler answers with the report (500 and the error when a check fails).
import * as mfakit from 'mfakit';
import { runChecks } from '../check.ts';

export default {
  async fetch() {
    try {
      return Response.json(await runChecks(mfakit));
    } catch (err) {
      return new Response(String(err?.stack ?? err), { status: 500 });
    }
  },
};
