// The settings pages: authenticators (add, rename, remove), recovery codes
// (shown once, viewed or replaced behind a current code), trusted browsers,
// turning MFA off, and verifying the e-mail address with a code.
import { deleteCookie } from 'hono/cookie';
import { formatRecoveryCodesText, isMfaError } from 'mfakit';
import { qrDataUri } from 'mfakit/qr';
import * as pages from '../pages.js';
import { parseJson, reasonText } from '../pages.js';
import { DEVICE_COOKIE, cookieOptions } from '../session.js';

const EMAIL_PURPOSE = 'email:verify';

/** The name typed for an authenticator, as mfakit takes it (1–64 characters). @param {unknown} label */
const labelFrom = (label) => (typeof label === 'string' && label.trim() !== '' ? label.trim().slice(0, 64) : 'Authenticator app');

/** @param {import('../app.js').Deps} deps */
export function settingsRoutes({ app, mfa, users, sessions, now, show, signedIn, signedInAs, outbox }) {
  /** The settings page, with a note or an error. @param {import('../app.js').Context} c @param {{ note?: string, error?: string, answer?: import('hono/utils/http-status').ContentfulStatusCode | object }} [p] */
  async function settingsPage(c, { note, error, answer } = {}) {
    const { user } = signedInAs(c);
    const uid = user.id;
    const [status, devices] = await Promise.all([mfa.status(uid), mfa.listDevices(uid)]);
    return show(c, { title: 'Security settings', note, error, body: pages.settings({ status, devices, user }) }, answer);
  }
  const NOTES = /** @type {Record<string, string>} */ ({
    recovery: 'You signed in with a recovery code; it cannot be used again.',
    added: 'Authenticator added.',
    renamed: 'Renamed.',
    removed: 'Authenticator removed.',
    disabled: 'Two-factor authentication is off.',
    revoked: 'That browser is no longer trusted.',
    'revoked-all': 'No browser is trusted any more.',
    'email-verified': 'E-mail address verified.',
  });

  app.get('/settings', signedIn(), (c) => settingsPage(c, { note: NOTES[c.req.query('used') ?? c.req.query('done') ?? ''] }));

  app.get('/settings/add', signedIn({ enrolling: true }), (c) =>
    show(c, { title: 'Set up an authenticator app', body: pages.addAuthenticator({ forced: signedInAs(c).session.step === 'enrol' }) }),
  );

  /** The enrolment page. A reload (same label, still pending) shows the same QR code. @param {import('../app.js').Context} c @param {string} label @param {{ error?: string }} [extra] @param {object} [answer] */
  async function enrolPage(c, label, extra = {}, answer = undefined) {
    const { user } = signedInAs(c);
    const { uri, secret, expiresAt } = await mfa.beginEnrollment(user.id, { account: user.email, label });
    return show(c, { title: 'Scan the QR code', ...extra, body: pages.enrol({ label, qr: qrDataUri(uri), secret, expiresAt }) }, answer);
  }

  app.post('/settings/enrol', signedIn({ enrolling: true }), async (c) => {
    const { label } = await c.req.parseBody();
    try {
      return await enrolPage(c, labelFrom(label));
    } catch (err) {
      if (isMfaError(err, 'FACTOR_LIMIT')) return settingsPage(c, { error: 'You have as many authenticators as allowed: remove one first.', answer: 409 });
      throw err;
    }
  });

  app.post('/settings/enrol/confirm', signedIn({ enrolling: true }), async (c) => {
    const { code, label } = await c.req.parseBody();
    const { user } = signedInAs(c);
    const r = await mfa.confirmEnrollment(user.id, code);
    if (!r.ok) return enrolPage(c, labelFrom(label), { error: reasonText(r) }, r);
    sessions.set(c, { uid: user.id, step: 'full', mfa: true });
    if (!r.recoveryCodes) return c.redirect('/settings?done=added');
    return codesPage(c, r.recoveryCodes, 'Save your recovery codes');
  });

  // ── passkeys: the browser makes the credential (public/passkey.js), the form posts it ──
  /** The "create the passkey" page, with a fresh registration. @param {import('../app.js').Context} c @param {string} label @param {object} [failed] */
  async function passkeyPage(c, label, failed) {
    const { user } = signedInAs(c);
    const { options } = await mfa.beginPasskeyRegistration(user.id, { userName: user.email, label });
    const error = failed ? reasonText(failed) : undefined;
    return show(c, { title: 'Add a passkey', error, script: 'passkey', body: pages.addPasskey({ options, label }) }, failed);
  }

  app.get('/settings/passkeys/new', signedIn({ enrolling: true }), (c) => passkeyPage(c, 'Passkey'));

  app.post('/settings/passkeys', signedIn({ enrolling: true }), async (c) => {
    const { response } = await c.req.parseBody();
    const { user } = signedInAs(c);
    const r = await mfa.finishPasskeyRegistration(user.id, typeof response === 'string' ? parseJson(response) : response);
    if (!r.ok) return passkeyPage(c, 'Passkey', r);
    sessions.set(c, { uid: user.id, step: 'full', mfa: true });
    if (!r.recoveryCodes) return c.redirect('/settings?done=added');
    return codesPage(c, r.recoveryCodes, 'Save your recovery codes');
  });

  /** The codes, shown once, with Download (a data: link, no script needed) and Copy. @param {import('../app.js').Context} c @param {string[]} codes @param {string} title @param {number | null} [createdAt] when the set was made */
  function codesPage(c, codes, title, createdAt = now()) {
    const text = formatRecoveryCodesText(codes, { issuer: 'mfakit demo', account: signedInAs(c).user.email, createdAt: createdAt ?? now() });
    return show(c, { title, script: 'copy', body: pages.recoveryCodes({ codes, text }) });
  }

  app.post('/settings/factors/:id/rename', signedIn(), async (c) => {
    const { label } = await c.req.parseBody();
    const name = typeof label === 'string' ? label.trim() : '';
    if (name === '' || name.length > 64) return settingsPage(c, { error: 'A name has 1 to 64 characters.', answer: 400 });
    await mfa.renameFactor(signedInAs(c).user.id, c.req.param('id'), name);
    return c.redirect('/settings?done=renamed');
  });

  app.post('/settings/factors/:id/remove', signedIn(), async (c) => {
    const { code } = await c.req.parseBody();
    const r = await mfa.removeFactor(signedInAs(c).user.id, c.req.param('id'), { code: code || undefined });
    if (!r.ok) return settingsPage(c, { error: reasonText(r), answer: r });
    if (r.disabled) sessions.set(c, { ...signedInAs(c).session, mfa: false });
    return c.redirect(`/settings?done=${r.disabled ? 'disabled' : 'removed'}`);
  });

  app.get('/settings/recovery-codes', signedIn(), async (c) => {
    const { recoveryCodesRemaining } = await mfa.status(signedInAs(c).user.id);
    return show(c, { title: 'Recovery codes', body: pages.manageRecoveryCodes({ remaining: recoveryCodesRemaining }) });
  });
  /** The codes page, or the form again with what went wrong. @param {import('../app.js').Context} c @param {Awaited<ReturnType<typeof mfa.viewRecoveryCodes>>} r @param {string} title */
  async function recoveryCodesAnswer(c, r, title) {
    if (r.ok) return codesPage(c, r.recoveryCodes, title, r.createdAt);
    const { recoveryCodesRemaining } = await mfa.status(signedInAs(c).user.id);
    return show(c, { title: 'Recovery codes', error: reasonText(r), body: pages.manageRecoveryCodes({ remaining: recoveryCodesRemaining }) }, r);
  }
  app.post('/settings/recovery-codes/view', signedIn(), async (c) => {
    const { code } = await c.req.parseBody();
    return recoveryCodesAnswer(c, await mfa.viewRecoveryCodes(signedInAs(c).user.id, { code }), 'Your recovery codes');
  });
  app.post('/settings/recovery-codes/regenerate', signedIn(), async (c) => {
    const { code } = await c.req.parseBody();
    return recoveryCodesAnswer(c, await mfa.regenerateRecoveryCodes(signedInAs(c).user.id, { code }), 'Your new recovery codes');
  });

  app.post('/settings/devices/:id/revoke', signedIn(), async (c) => {
    await mfa.revokeDevice(signedInAs(c).user.id, c.req.param('id'));
    return c.redirect('/settings?done=revoked');
  });
  app.post('/settings/devices/revoke-all', signedIn(), async (c) => {
    const { code } = await c.req.parseBody();
    const r = await mfa.revokeAllDevices(signedInAs(c).user.id, { code });
    return r.ok ? c.redirect('/settings?done=revoked-all') : settingsPage(c, { error: reasonText(r), answer: r });
  });

  app.get('/settings/disable', signedIn(), (c) => show(c, { title: 'Turn off two-factor authentication', body: pages.disable() }));
  app.post('/settings/disable', signedIn(), async (c) => {
    const { password, code } = await c.req.parseBody();
    const { user } = signedInAs(c);
    const page = { title: 'Turn off two-factor authentication', body: pages.disable() };
    if (typeof password !== 'string' || !(await users.recheckPassword(user.id, password))) return show(c, { ...page, error: 'Wrong password.' }, 401);
    const r = await mfa.disable(user.id, { code });
    if (!r.ok) return show(c, { ...page, error: reasonText(r) }, r);
    sessions.set(c, { ...signedInAs(c).session, mfa: false });
    deleteCookie(c, DEVICE_COOKIE, cookieOptions(c));
    return c.redirect('/settings?done=disabled');
  });

  // E-mail verification: a code by mail, which lands in the dev outbox.
  app.post('/settings/email/send', signedIn(), async (c) => {
    const { user } = signedInAs(c);
    const r = await mfa.sendCode(user.id, {
      purpose: EMAIL_PURPOSE,
      destination: user.email,
      send: ({ to, code }) => {
        outbox.unshift({ to, subject: 'Your verification code', body: `Your mfakit demo code is ${code}.\nIt expires in 5 minutes.`, at: now() });
      },
    });
    return show(c, { title: 'Verify your e-mail address', error: r.ok ? undefined : reasonText(r), body: pages.emailCode({ email: user.email }) }, r);
  });
  app.post('/settings/email/verify', signedIn(), async (c) => {
    const { code } = await c.req.parseBody();
    const { user } = signedInAs(c);
    const r = await mfa.verifyCode(user.id, { purpose: EMAIL_PURPOSE, destination: user.email, code });
    if (!r.ok) return show(c, { title: 'Verify your e-mail address', error: reasonText(r), body: pages.emailCode({ email: user.email }) }, r);
    await users.markEmailVerified(user.id);
    return c.redirect('/settings?done=email-verified');
  });
}
