// The pages: plain HTML forms, no inline script or style (the CSP forbids both).
// `html` escapes every interpolated value; nested `html` results pass as they are.
import { html } from 'hono/html';
import { formatSecret } from 'mfakit';

/**
 * @typedef {import('./db.js').User} User
 * @typedef {import('mfakit').MfaStatus} MfaStatus
 * @typedef {import('mfakit').DeviceInfo} DeviceInfo
 * @typedef {ReturnType<typeof html>} Html
 */

/** What to tell the user for each refusal of mfakit (docs/flows.md). @param {any} r */
export function reasonText(r) {
  switch (r.reason) {
    case 'mismatch': return r.attemptsLeft === undefined ? 'That code didn’t work.' : `That code didn’t work (${r.attemptsLeft} tries left).`;
    case 'malformed': return 'Enter the 6-digit code from your app, or a recovery code.';
    case 'replayed': return 'That code was already used: wait for the next one.';
    case 'locked': return `Too many attempts: try again in ${Math.ceil(r.retryAfterMs / 1000)} seconds.`;
    case 'suspended': return 'Too many wrong codes: two-factor sign-in is suspended. Ask an administrator to reset it.';
    case 'expired': return 'That has expired: start again.';
    case 'not-enrolled': return 'Two-factor authentication is not on.';
    case 'reverify-required': return 'Enter a current code from your app to do this.';
    case 'cooldown': return `A code was sent less than a minute ago; it still works. You can ask for another in ${Math.ceil(r.retryAfterMs / 1000)} seconds.`;
    default: return 'That did not work.';
  }
}

/** The JSON a page posted, or the text itself when it is not JSON (mfakit then answers `malformed`). @param {string} text */
export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Times in UTC: "2026-03-02 09:15". */
const date = (/** @type {number | null | undefined} */ ms) => (ms ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '—');

const codeInput = (/** @type {string} */ label = 'Code from your app') => html`
  <label>${label} <input name="code" autocomplete="one-time-code" inputmode="numeric" required></label>`;

/** @param {{ title: string, user?: User | null | undefined, body: Html, note?: string | undefined, error?: string | undefined, script?: 'copy' | 'passkey' | undefined }} p */
export function layout({ title, user, body, note, error, script }) {
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} · mfakit demo</title>
  <link rel="stylesheet" href="/static/style.css">
  ${script ? html`<script src="/static/${script}.js" defer></script>` : ''}
</head>
<body>
  <header>
    <a class="brand" href="/">mfakit demo</a>
    <nav>
      ${user
        ? html`<a href="/settings">Settings</a>${user.isAdmin ? html`<a href="/admin">Admin</a>` : ''}<a href="/dev/outbox">Outbox</a>
          <form method="post" action="/logout"><button class="link">Sign out</button></form>`
        : html`<a href="/login">Sign in</a><a href="/signup">Sign up</a><a href="/dev/outbox">Outbox</a>`}
    </nav>
  </header>
  <main>
    <h1>${title}</h1>
    ${note ? html`<p class="note" role="status">${note}</p>` : ''}
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    ${body}
  </main>
</body>
</html>`;
}

/** @param {{ user: User | null, status: MfaStatus | null }} p */
export function home({ user, status }) {
  if (!user || !status) {
    return html`<p>A reference app for mfakit: sign up, turn on two-factor authentication, sign in with a code.</p>
      <p><a class="button" href="/signup">Sign up</a> <a href="/login">Sign in</a></p>`;
  }
  const on = status.enrolled;
  return html`<p>Signed in as <strong>${user.email}</strong>.</p>
    <p>Two-factor authentication is <strong id="mfa-state">${on ? 'on' : 'off'}</strong>.</p>
    ${!on && status.graceEndsAt ? html`<p class="warning">Your organisation requires two-factor authentication from ${date(status.graceEndsAt)} UTC.</p>` : ''}
    <p><a class="button" href="/settings">Security settings</a></p>`;
}

/** @param {{ mode: 'signup' | 'login', email?: string }} p */
export function passwordForm({ mode, email = '' }) {
  return html`<form method="post" action="/${mode}">
    <label>E-mail <input type="email" name="email" value="${email}" autocomplete="username" required></label>
    <label>Password <input type="password" name="password" autocomplete="${mode === 'signup' ? 'new-password' : 'current-password'}" minlength="${mode === 'signup' ? 10 : 1}" required></label>
    <button>${mode === 'signup' ? 'Create account' : 'Continue'}</button>
  </form>
  ${mode === 'login' ? html`<p>No account? <a href="/signup">Sign up</a>.</p>` : html`<p>The first account is the administrator.</p>`}`;
}

/** @param {{ passkey: object | null }} p - the options of a passkey sign-in, when the user has a passkey */
export function secondStep({ passkey }) {
  return html`<p>Enter the code from your authenticator app, or one of your recovery codes.</p>
  <form method="post" action="/login/code">
    ${codeInput('Code')}
    <label class="check"><input type="checkbox" name="trust"> Trust this browser for 30 days</label>
    <button>Sign in</button>
  </form>
  ${passkey ? passkeyButton({ mode: 'get', label: 'Use a passkey', options: passkey, action: '/login/code', field: 'passkey' }) : ''}`;
}

/**
 * A button that runs the browser's WebAuthn call (public/passkey.js) and posts
 * its answer in a plain form; hidden until the script shows it.
 * @param {{ mode: 'create' | 'get', label: string, options: object, action: string, field: string }} p
 */
function passkeyButton({ mode, label, options, action, field }) {
  return html`<form method="post" action="${action}" id="passkey-form">
    <input type="hidden" name="${field}">
    <button type="button" id="passkey-${mode}" data-passkey="${mode}" data-options="${JSON.stringify(options)}" hidden>${label}</button>
  </form>
  <noscript><p>Passkeys need JavaScript.</p></noscript>`;
}

/** @param {{ options: object, label: string }} p */
export function addPasskey({ options, label }) {
  return html`<p>Your browser will ask which passkey to use: this device, a phone, or a security key. It is added as “${label}”.</p>
  ${passkeyButton({ mode: 'create', label: 'Create the passkey', options, action: '/settings/passkeys', field: 'response' })}`;
}

/** @param {{ status: MfaStatus, devices: DeviceInfo[], user: User }} p */
export function settings({ status, devices, user }) {
  const on = status.enrolled;
  const warnings = {
    'recovery-codes-low': 'You have few recovery codes left: make a new set.',
    'failed-attempts': 'Someone entered many wrong codes for your account. Consider changing your password.',
    'weak-secret': 'One authenticator has a short secret: set up a new one and remove it.',
  };
  return html`
  <section>
    <h2>Two-factor authentication: <span id="mfa-state">${status.state === 'suspended' ? 'suspended' : on ? 'on' : 'off'}</span></h2>
    ${status.warnings.map((w) => html`<p class="warning">${warnings[w]}</p>`)}
    ${status.required && !on ? html`<p class="warning">Required${status.graceEndsAt ? html` from ${date(status.graceEndsAt)} UTC` : ''}: set up an authenticator app.</p>` : ''}
    <table id="factors">
      <tr><th>Authenticator</th><th>Kind, state</th><th>Added (UTC)</th><th>Last used</th><th></th></tr>
      ${status.factors.map((f) => html`<tr>
        <td><form method="post" action="/settings/factors/${f.id}/rename" class="inline">
          <input name="label" value="${f.label}" aria-label="Name" maxlength="64" required><button>Rename</button></form></td>
        <td>${f.kind === 'webauthn' ? 'passkey' : 'app'}, ${f.state}</td><td>${date(f.createdAt)}</td><td>${date(f.lastUsedAt)}</td>
        <td><form method="post" action="/settings/factors/${f.id}/remove" class="inline">
          ${f.state === 'active' ? html`<input name="code" aria-label="Current code" placeholder="current code" autocomplete="one-time-code" inputmode="numeric" required>` : ''}
          <button>${f.state === 'active' ? 'Remove' : 'Cancel'}</button></form></td>
      </tr>`)}
    </table>
    <p><a class="button" href="/settings/add">${on ? 'Add another authenticator' : 'Set up an authenticator app'}</a>
      <a class="button" href="/settings/passkeys/new">Add a passkey</a></p>
  </section>
  ${on
    ? html`<section>
    <h2>Recovery codes</h2>
    <p><span id="codes-left">${status.recoveryCodesRemaining}</span> unused. <a href="/settings/recovery-codes">View or replace them</a></p>
  </section>
  <section>
    <h2>Trusted browsers</h2>
    ${devices.length === 0 ? html`<p>None.</p>` : ''}
    <ul id="devices">${devices.map((d) => html`<li>${d.label}, until ${date(d.expiresAt)} UTC
      <form method="post" action="/settings/devices/${d.id}/revoke" class="inline"><button>Stop trusting</button></form></li>`)}</ul>
    ${devices.length > 0
      ? html`<form method="post" action="/settings/devices/revoke-all" class="inline">${codeInput('Current code')}<button>Stop trusting all</button></form>`
      : ''}
  </section>
  <section>
    <h2>Turn off</h2>
    <p><a href="/settings/disable">Turn off two-factor authentication</a></p>
  </section>`
    : ''}
  <section>
    <h2>E-mail address</h2>
    <p>${user.email}: <span id="email-state">${user.emailVerified ? 'verified' : 'not verified'}</span></p>
    ${user.emailVerified ? '' : html`<form method="post" action="/settings/email/send"><button>Send a verification code</button></form>`}
  </section>`;
}

/** @param {{ forced: boolean }} p */
export function addAuthenticator({ forced }) {
  return html`${forced ? html`<p class="warning">Your organisation requires two-factor authentication. Set it up to continue.</p>` : ''}
  <p>Name this authenticator so you can tell it apart later, then scan a QR code with an app such as Google Authenticator, 1Password or Aegis.</p>
  <form method="post" action="/settings/enrol">
    <label>Name <input name="label" value="Authenticator app" maxlength="64" required></label>
    <button>Continue</button>
  </form>`;
}

/** @param {{ label: string, qr: string, secret: string, expiresAt: number }} p */
export function enrol({ label, qr, secret, expiresAt }) {
  return html`<ol>
    <li>Scan this QR code with your authenticator app:<br><img id="qr" src="${qr}" alt="QR code for your authenticator app" width="264" height="264"></li>
    <li>Or type this key into the app: <code id="secret">${formatSecret(secret)}</code></li>
    <li>Enter the code the app shows (before ${date(expiresAt)} UTC):</li>
  </ol>
  <form method="post" action="/settings/enrol/confirm">
    <input type="hidden" name="label" value="${label}">
    ${codeInput()}
    <button>Turn on</button>
  </form>`;
}

/** @param {{ codes: string[], text: string }} p */
export function recoveryCodes({ codes, text }) {
  return html`<p>Each code signs you in once if you lose your phone. Keep them somewhere safe, apart from it.</p>
  <pre id="codes">${codes.join('\n')}</pre>
  <p>
    <a class="button" id="download" download="mfakit-demo-recovery-codes.txt" href="data:text/plain;charset=utf-8,${encodeURIComponent(text)}">Download</a>
    <button type="button" id="copy" data-copy="codes" hidden>Copy</button>
  </p>
  <p><a href="/settings">I have saved them</a></p>`;
}

/** @param {{ remaining: number }} p */
export function manageRecoveryCodes({ remaining }) {
  return html`<p>You have ${remaining} unused recovery codes. Enter a current code from your app to see them, or to replace them with a new set (the old ones stop working at once).</p>
  <form method="post" action="/settings/recovery-codes/view">${codeInput()}<button>View recovery codes</button></form>
  <form method="post" action="/settings/recovery-codes/regenerate">${codeInput()}<button>Make a new set</button></form>`;
}

export function disable() {
  return html`<p>Your account will be protected by your password alone.</p>
  <form method="post" action="/settings/disable">
    <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
    ${codeInput('Current code (or a recovery code)')}
    <button class="danger">Turn off two-factor authentication</button>
  </form>`;
}

/** @param {{ email: string }} p */
export function emailCode({ email }) {
  return html`<p>We sent a 6-digit code to ${email}. (In this demo, mail lands in the <a href="/dev/outbox">outbox</a>.)</p>
  <form method="post" action="/settings/email/verify">${codeInput('Code from the e-mail')}<button>Verify</button></form>`;
}

/** @param {{ messages: Array<{ to: string, subject: string, body: string, at: number }> }} p */
export function outbox({ messages }) {
  return html`<p>Mail the app would have sent. Development only.</p>
  ${messages.length === 0 ? html`<p>Empty.</p>` : ''}
  ${messages.map((m) => html`<article class="mail"><p><strong>${m.subject}</strong> to ${m.to}, ${date(m.at)} UTC</p><pre>${m.body}</pre></article>`)}`;
}

/**
 * @param {{
 *   policy: import('./db.js').Policy,
 *   rows: Array<{ user: User, factors: number, lastUsedAt: number | null, suspended: boolean }>,
 *   now: number,
 * }} p
 */
export function admin({ policy, rows, now }) {
  const inGrace = policy.required && policy.graceEndsAt !== null && policy.graceEndsAt > now;
  return html`<section>
    <h2>Policy</h2>
    <form method="post" action="/admin/policy">
      <label class="check"><input type="checkbox" name="required" ${policy.required ? 'checked' : ''}> Require two-factor authentication for all users</label>
      <label>Grace period in days (users without it may still sign in until then) <input type="number" name="graceDays" min="0" max="90" value="0"></label>
      <button>Save</button>
    </form>
    <p id="policy">${policy.required ? html`Required${inGrace ? html`, grace period until ${date(policy.graceEndsAt)} UTC` : ''}.` : 'Not required.'}</p>
  </section>
  <section>
    <h2>Users</h2>
    <table id="users">
      <tr><th>E-mail</th><th>Two-factor</th><th>Authenticators</th><th>Last used (UTC)</th><th>Reset</th></tr>
      ${rows.map(({ user, factors, lastUsedAt, suspended }) => html`<tr>
        <td>${user.email}${user.isAdmin ? ' (admin)' : ''}</td>
        <td>${suspended ? 'suspended' : factors > 0 ? 'on' : policy.required ? (inGrace ? 'off, grace period' : 'off, must enrol') : 'off'}</td>
        <td>${factors}</td><td>${date(lastUsedAt)}</td>
        <td>${factors > 0 || suspended
          ? html`<form method="post" action="/admin/users/${user.id}/reset" class="inline">
              <input name="reason" aria-label="Reason" placeholder="reason" required><button class="danger">Reset</button></form>`
          : ''}</td>
      </tr>`)}
    </table>
  </section>`;
}
