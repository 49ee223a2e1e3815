// The administrator's page: every user with their MFA state, reset, and the
// "require MFA for all users" switch; and the development outbox.
import * as pages from '../pages.js';

/** @param {import('../app.js').Deps} deps */
export function adminRoutes({ app, db, mfa, users, settings, now, show, signedIn, signedInAs, admin, outbox, devOutbox }) {
  /** Each user's MFA state: from the store's listing where it has one (Postgres), else per user (Redis). */
  async function mfaStates(/** @type {import('../db.js').User[]} */ all) {
    if (!db.store.supports.listing) {
      return Promise.all(all.map(async (user) => {
        const s = await mfa.status(user.id);
        const active = s.factors.filter((f) => f.state === 'active');
        return { user, factors: active.length, lastUsedAt: Math.max(0, ...active.map((f) => f.lastUsedAt ?? 0)) || null, suspended: s.state === 'suspended' };
      }));
    }
    const enrolled = new Map();
    for (let cursor = null; ; ) {
      const page = await mfa.listEnrolled({ cursor, limit: 500 });
      for (const u of page.users) enrolled.set(u.userId, u);
      if ((cursor = page.cursor) === null) break;
    }
    return all.map((user) => ({ user, factors: 0, lastUsedAt: null, suspended: false, ...enrolled.get(user.id) }));
  }

  app.get('/admin', signedIn(), admin, async (c) => {
    const rows = await mfaStates(await users.all());
    return show(c, { title: 'Administration', note: c.req.query('done') ? 'Saved.' : undefined, body: pages.admin({ policy: await settings.policy(), rows, now: now() }) });
  });
  app.post('/admin/policy', signedIn(), admin, async (c) => {
    const { required, graceDays } = await c.req.parseBody();
    const days = Math.min(90, Math.max(0, Math.floor(Number(graceDays) || 0)));
    await settings.setPolicy({ required: required === 'on', graceEndsAt: required === 'on' && days > 0 ? now() + days * 86_400_000 : null });
    return c.redirect('/admin?done=policy');
  });
  app.post('/admin/users/:id/reset', signedIn(), admin, async (c) => {
    const { reason } = await c.req.parseBody();
    if (typeof reason !== 'string' || reason.trim() === '') return c.redirect('/admin');
    await mfa.reset(c.req.param('id'), { actor: signedInAs(c).user.id, reason: reason.trim() });
    return c.redirect('/admin?done=reset');
  });

  if (devOutbox) app.get('/dev/outbox', (c) => show(c, { title: 'Outbox', body: pages.outbox({ messages: outbox }) }));
}
