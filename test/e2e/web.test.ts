// The reference app (examples/web) in a real browser: every page, on PGlite,
// with the app's clock in the test's hands. MFAKIT_SCREENSHOTS=1 (npm run
// screenshots) also writes docs/screenshots/*.png.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTotp, parseOtpauthUri } from '../../src/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasZbar = spawnSync('zbarimg', ['--version'], { encoding: 'utf8' }).status === 0;
const missing = [!existsSync(CHROMIUM) && `Chromium (${CHROMIUM})`, !hasZbar && 'zbarimg'].filter(Boolean).join(' and ');
if (missing && process.env.CI) throw new Error(`${missing} not found; CI installs them with apt-get install -y chromium zbar-tools`);

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = process.env.MFAKIT_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : null;
const PASSWORD = 'correct horse battery';

interface App {
  url: string;
  close(): Promise<void>;
}
type StartApp = (opts: { dataDir: string; port: number; hostname: string; env: Record<string, string>; now: () => number; log: (line: string) => void }) => Promise<App>;

// Each step signs in a few times (scrypt) and drives the browser: generous limits for a loaded machine.
describe.skipIf(missing !== '')(`the reference web app in Chromium${missing ? ` (skipped: ${missing} missing)` : ''}`, { timeout: 120_000 }, () => {
  // A fixed start, a few seconds into a 30 s step: codes are stable until the test moves the clock.
  let clock = Date.UTC(2026, 2, 2, 9, 0, 5);
  const logs: string[] = [];
  const consoleErrors: string[] = [];
  let dataDir: string;
  let app: App;
  let browser: Browser;
  let adminCtx: BrowserContext;
  let janeCtx: BrowserContext;
  let admin: Page;
  let jane: Page;
  let secret = '';
  let recoveryCodes: string[] = [];

  /** The current code of an authenticator at the app's clock. */
  const code = (key = secret): string => generateTotp(key, { now: clock });
  /** A well-formed code that matches no step of the ±1 window. */
  const wrongCode = (key = secret): string => {
    const near = new Set([-1, 0, 1].map((k) => generateTotp(key, { now: clock + k * 30_000 })));
    for (let n = 0; ; n++) if (!near.has(String(n).padStart(6, '0'))) return String(n).padStart(6, '0');
  };
  const nextStep = (): void => {
    clock += 30_000;
  };

  async function open(ctx: BrowserContext): Promise<Page> {
    const page = await ctx.newPage();
    page.setDefaultTimeout(30_000);
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) consoleErrors.push(m.text());
    });
    return page;
  }

  /** Clicks a submit button and returns the status of the POST it sends (the redirect's, when it redirects). */
  async function submit(page: Page, button: string): Promise<number> {
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click(button)]);
    await page.waitForLoadState();
    return response.status();
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  async function signIn(page: Page, email: string, base = app.url): Promise<void> {
    await page.goto(`${base}/login`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    expect(await submit(page, 'form[action="/login"] button')).toBe(302);
  }

  async function signOut(page: Page): Promise<void> {
    expect(await submit(page, 'form[action="/logout"] button')).toBe(302);
  }

  /** Types a code on the second-step page and returns the answer's status. */
  async function secondStep(page: Page, value: string, { trust = false } = {}): Promise<number> {
    expect(new URL(page.url()).pathname).toBe('/login/code');
    await page.fill('input[name=code]', value);
    if (trust) await page.check('input[name=trust]');
    return submit(page, 'form[action="/login/code"] button');
  }

  async function signUp(page: Page, email: string, base = app.url): Promise<void> {
    await page.goto(`${base}/signup`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    expect(await submit(page, 'form[action="/signup"] button')).toBe(302);
  }

  /** From the add page through the QR page; returns the manual key. */
  async function beginEnrolment(page: Page, label: string, base = app.url): Promise<string> {
    await page.goto(`${base}/settings/add`);
    await page.fill('input[name=label]', label);
    expect(await submit(page, 'form[action="/settings/enrol"] button')).toBe(200);
    // Shown in groups of four for typing (formatSecret); the key is the same without the spaces.
    return (await page.textContent('#secret'))!.trim().replaceAll(' ', '');
  }

  async function confirm(page: Page, value: string): Promise<number> {
    await page.fill('form[action="/settings/enrol/confirm"] input[name=code]', value);
    return submit(page, 'form[action="/settings/enrol/confirm"] button');
  }

  const codesOnPage = async (page: Page): Promise<string[]> => (await page.textContent('#codes'))!.trim().split('\n');
  const text = async (page: Page, selector: string): Promise<string> => (await page.textContent(selector))?.trim() ?? '';

  beforeAll(async () => {
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'mfakit-web-'));
    // A computed path: the app is plain JavaScript, typed by JSDoc.
    const { startApp } = (await import(pathToFileURL(join(ROOT, 'examples/web/app.js')).href)) as { startApp: StartApp };
    app = await startApp({ dataDir, port: 0, hostname: '127.0.0.1', env: { NODE_ENV: 'test' }, now: () => clock, log: (line) => logs.push(line) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const viewport = { width: 1000, height: 720 };
    adminCtx = await browser.newContext({ viewport });
    janeCtx = await browser.newContext({ viewport, acceptDownloads: true, permissions: ['clipboard-read', 'clipboard-write'] });
    admin = await open(adminCtx);
    jane = await open(janeCtx);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves pages under a strict CSP and refuses cross-origin form posts', async () => {
    const response = await admin.goto(`${app.url}/`);
    const csp = response!.headers()['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await admin.evaluate(() => getComputedStyle(document.body).margin)).toBe('0px'); // the served stylesheet applies
    const forged = await fetch(`${app.url}/login`, {
      method: 'POST',
      headers: { origin: 'https://attacker.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=a%40b.c&password=x',
    });
    expect(forged.status).toBe(403);
    expect(existsSync(join(dataDir, 'dev-keys.json'))).toBe(true);
  });

  it('signs up the first user as the administrator, and a second user', async () => {
    await admin.goto(`${app.url}/signup`);
    await shot(admin, 'sign-up');
    await signUp(admin, 'ada@example.com');
    expect(await text(admin, 'nav')).toContain('Admin');

    await signUp(jane, 'jane@example.com');
    expect(await text(jane, '#mfa-state')).toBe('off');
    expect(await text(jane, 'nav')).not.toContain('Admin');
    const session = (await janeCtx.cookies()).find((c) => c.name === 'session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false }); // Secure everywhere but on loopback
    await shot(jane, 'home');
  });

  it('enrols an authenticator: the QR code (read back by zbarimg) and the manual key agree', async () => {
    await jane.goto(`${app.url}/settings`);
    await shot(jane, 'settings-off');
    await jane.goto(`${app.url}/settings/add`);
    await shot(jane, 'add-authenticator');
    secret = await beginEnrolment(jane, 'Phone');
    await shot(jane, 'enrol');

    const png = join(dataDir, 'qr.png');
    await jane.locator('#qr').screenshot({ path: png });
    const decoded = spawnSync('zbarimg', ['--quiet', '--raw', png], { encoding: 'utf8' });
    expect(decoded.status).toBe(0);
    const uri = parseOtpauthUri(decoded.stdout.trim());
    expect(uri.secret).toBe(secret);
    expect(uri.issuer).toBe('mfakit demo');
    expect(uri.account).toBe('jane@example.com');

    // A reload of the enrolment (same name, still pending) shows the same key.
    expect(await beginEnrolment(jane, 'Phone')).toBe(secret);
    expect(await confirm(jane, wrongCode())).toBe(401);
    expect(await text(jane, '.error')).toContain('didn’t work');
    expect(await text(jane, '#secret')).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    expect((await text(jane, '#secret')).replaceAll(' ', '')).toBe(secret);
  });

  it('confirms with a code and shows the recovery codes once, with Download and Copy', async () => {
    expect(await confirm(jane, code())).toBe(200);
    recoveryCodes = await codesOnPage(jane);
    expect(recoveryCodes).toHaveLength(10);
    await shot(jane, 'recovery-codes');

    const [download] = await Promise.all([jane.waitForEvent('download'), jane.click('#download')]);
    expect(download.suggestedFilename()).toBe('mfakit-demo-recovery-codes.txt');
    const file = readFileSync((await download.path())!, 'utf8');
    expect(file).toContain('mfakit demo recovery codes');
    expect(file).toContain('Account: jane@example.com');
    for (const c of recoveryCodes) expect(file).toContain(c);

    expect(await jane.isVisible('#copy')).toBe(true);
    await jane.click('#copy');
    await jane.locator('#copy', { hasText: 'Copied' }).waitFor(); // the copy is asynchronous
    expect((await jane.evaluate(() => navigator.clipboard.readText())).trim()).toBe(recoveryCodes.join('\n'));

    await jane.goto(`${app.url}/settings`);
    expect(await text(jane, '#mfa-state')).toBe('on');
    expect(await text(jane, '#codes-left')).toBe('10');
  });

  it('adds a second authenticator, renames one, and removes one only with a current code', async () => {
    nextStep();
    const work = await beginEnrolment(jane, 'Work phone');
    expect(work).not.toBe(secret);
    expect(await confirm(jane, code(work))).toBe(302); // no new recovery codes: the set is per user
    expect(new URL(jane.url()).search).toBe('?done=added');
    expect(await jane.locator('#factors tr').count()).toBe(3);

    // Names are escaped, never markup.
    await jane.fill('#factors tr:nth-child(2) input[name=label]', '<img src=x>');
    expect(await submit(jane, '#factors tr:nth-child(2) form[action$="/rename"] button')).toBe(302);
    expect(await jane.inputValue('#factors tr:nth-child(2) input[name=label]')).toBe('<img src=x>');
    expect(await jane.locator('#factors img').count()).toBe(0);
    await jane.fill('#factors tr:nth-child(2) input[name=label]', 'iPhone');
    expect(await submit(jane, '#factors tr:nth-child(2) form[action$="/rename"] button')).toBe(302);
    expect(await jane.inputValue('#factors tr:nth-child(2) input[name=label]')).toBe('iPhone');
    await shot(jane, 'settings');

    // Without a code (the form's `required` taken away), removing an active authenticator is refused.
    await jane.evaluate(() => document.querySelectorAll('input[name=code]').forEach((input) => input.removeAttribute('required')));
    expect(await submit(jane, '#factors tr:nth-child(3) form[action$="/remove"] button')).toBe(401);
    expect(await text(jane, '.error')).toBe('Enter a current code from your app to do this.');
    await jane.fill('#factors tr:nth-child(3) input[name=code]', wrongCode(work));
    expect(await submit(jane, '#factors tr:nth-child(3) form[action$="/remove"] button')).toBe(401);
    expect(await jane.locator('#factors tr').count()).toBe(3);
    nextStep();
    await jane.fill('#factors tr:nth-child(3) input[name=code]', code(work));
    expect(await submit(jane, '#factors tr:nth-child(3) form[action$="/remove"] button')).toBe(302);
    expect(await jane.locator('#factors tr').count()).toBe(2);
    expect(await jane.inputValue('#factors tr:nth-child(2) input[name=label]')).toBe('iPhone');
  });

  it('signs in with a code, refuses the same code again, and signs in with a recovery code', async () => {
    await signOut(jane);
    nextStep();
    await signIn(jane, 'jane@example.com');
    await shot(jane, 'sign-in-code');
    const used = code();
    expect(await secondStep(jane, used)).toBe(302);
    expect(new URL(jane.url()).pathname).toBe('/');

    await signOut(jane);
    await signIn(jane, 'jane@example.com');
    expect(await secondStep(jane, used)).toBe(401);
    expect(await text(jane, '.error')).toContain('already used');
    // Nor does the page behind the second step open yet.
    await jane.goto(`${app.url}/settings`);
    expect(new URL(jane.url()).pathname).toBe('/login/code');

    expect(await secondStep(jane, recoveryCodes[0]!.toLowerCase())).toBe(302);
    expect(new URL(jane.url()).search).toBe('?used=recovery');
    expect(await text(jane, '#codes-left')).toBe('9');

    await signOut(jane);
    await signIn(jane, 'jane@example.com');
    expect(await secondStep(jane, recoveryCodes[0]!)).toBe(401);
    nextStep();
    expect(await secondStep(jane, code())).toBe(302); // a right code clears the failures
  });

  it('locks after five wrong codes, until the clock moves on', async () => {
    await signOut(jane);
    await signIn(jane, 'jane@example.com');
    nextStep();
    for (let i = 0; i < 5; i++) {
      expect(await secondStep(jane, wrongCode())).toBe(401);
      expect(await text(jane, '.error')).toContain('didn’t work');
    }
    await jane.fill('input[name=code]', code());
    const [locked] = await Promise.all([jane.waitForResponse((r) => r.request().method() === 'POST'), jane.click('form[action="/login/code"] button')]);
    expect(locked.status()).toBe(429);
    expect(Number(await locked.headerValue('retry-after'))).toBeGreaterThan(0);
    expect(await text(jane, '.error')).toMatch(/Too many attempts: try again in \d+ seconds/);
    await shot(jane, 'locked');

    clock += 31_000;
    expect(await secondStep(jane, code())).toBe(302);
    expect(new URL(jane.url()).pathname).toBe('/');
  });

  it('trusts this browser: the next sign-in skips the code, until trust is withdrawn', async () => {
    await signOut(jane);
    nextStep();
    await signIn(jane, 'jane@example.com');
    expect(await secondStep(jane, code(), { trust: true })).toBe(302);
    await signOut(jane);
    await signIn(jane, 'jane@example.com');
    expect(new URL(jane.url()).pathname).toBe('/');

    await jane.goto(`${app.url}/settings`);
    expect(await text(jane, '#devices')).toContain('Chrome on Linux');
    await shot(jane, 'settings-trusted');
    nextStep();
    await jane.fill('form[action="/settings/devices/revoke-all"] input[name=code]', code());
    expect(await submit(jane, 'form[action="/settings/devices/revoke-all"] button')).toBe(302);
    expect(await text(jane, '.note')).toContain('No browser is trusted');

    await signOut(jane);
    await signIn(jane, 'jane@example.com');
    expect(new URL(jane.url()).pathname).toBe('/login/code');
    nextStep();
    expect(await secondStep(jane, code())).toBe(302);
  });

  it('views the recovery codes behind a current code, and makes a new set', async () => {
    await jane.goto(`${app.url}/settings/recovery-codes`);
    await shot(jane, 'recovery-codes-manage');
    await jane.fill('form[action$="/view"] input[name=code]', wrongCode());
    expect(await submit(jane, 'form[action$="/view"] button')).toBe(401);
    nextStep();
    await jane.fill('form[action$="/view"] input[name=code]', code());
    expect(await submit(jane, 'form[action$="/view"] button')).toBe(200);
    expect((await codesOnPage(jane)).sort()).toEqual(recoveryCodes.slice(1).sort());

    await jane.goto(`${app.url}/settings/recovery-codes`);
    nextStep();
    await jane.fill('form[action$="/regenerate"] input[name=code]', code());
    expect(await submit(jane, 'form[action$="/regenerate"] button')).toBe(200);
    const fresh = await codesOnPage(jane);
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(recoveryCodes[1]);

    await signOut(jane);
    await signIn(jane, 'jane@example.com');
    expect(await secondStep(jane, recoveryCodes[1]!)).toBe(401); // the old set stopped working
    expect(await secondStep(jane, fresh[0]!)).toBe(302);
    recoveryCodes = fresh.slice(1);
  });

  it('verifies the e-mail address with a code from the outbox', async () => {
    await jane.goto(`${app.url}/settings`);
    expect(await text(jane, '#email-state')).toBe('not verified');
    expect(await submit(jane, 'form[action="/settings/email/send"] button')).toBe(200);
    await shot(jane, 'email-code');

    const outbox = await open(janeCtx);
    await outbox.goto(`${app.url}/dev/outbox`);
    await shot(outbox, 'outbox');
    const mail = await text(outbox, '.mail pre');
    const sent = /\b(\d{6})\b/.exec(mail)?.[1];
    expect(sent).toMatch(/^\d{6}$/);
    await outbox.close();

    await jane.fill('input[name=code]', sent === '000000' ? '111111' : '000000');
    expect(await submit(jane, 'form[action="/settings/email/verify"] button')).toBe(401);
    expect(await text(jane, '.error')).toContain('tries left');
    await jane.fill('input[name=code]', sent!);
    expect(await submit(jane, 'form[action="/settings/email/verify"] button')).toBe(302);
    expect(await text(jane, '#email-state')).toBe('verified');
  });

  it('answers the API second step: /api/login gives a challenge, /api/verify a token', async () => {
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    expect((await post('/api/login', { email: 'jane@example.com', password: 'wrong' })).status).toBe(401);
    const login = await post('/api/login', { email: 'jane@example.com', password: PASSWORD });
    expect(login.status).toBe(200);
    const { mfaRequired, challenge } = (await login.json()) as { mfaRequired: boolean; challenge: string };
    expect(mfaRequired).toBe(true);

    expect((await post('/api/verify', { challenge, code: 'not a code' })).status).toBe(400);
    const wrong = await post('/api/verify', { challenge, code: wrongCode() });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'mismatch' });
    nextStep();
    const right = await post('/api/verify', { challenge, code: code() });
    expect(right.status).toBe(200);
    const { accessToken, method } = (await right.json()) as { accessToken: string; method: string };
    expect(method).toBe('totp');
    const me = await fetch(`${app.url}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(await me.json()).toMatchObject({ email: 'jane@example.com' });
    // The challenge is spent.
    expect((await post('/api/verify', { challenge, code: code() })).status).toBe(401);
    // A session cookie is no API token.
    const cookie = (await janeCtx.cookies()).find((c) => c.name === 'session')!.value;
    expect((await fetch(`${app.url}/api/me`, { headers: { authorization: `Bearer ${cookie}` } })).status).toBe(401);
  });

  it('lets the administrator see every user’s state and reset one', async () => {
    await admin.goto(`${app.url}/admin`);
    const janeRow = admin.locator('#users tr', { hasText: 'jane@example.com' });
    expect(await janeRow.locator('td').nth(1).textContent()).toBe('on');
    expect(await janeRow.locator('td').nth(2).textContent()).toBe('1');
    await shot(admin, 'admin');
    await janeRow.locator('input[name=reason]').fill('lost phone, identity checked by video call');
    expect(await submit(admin, '#users tr:has-text("jane@example.com") button')).toBe(302);
    expect(await admin.locator('#users tr', { hasText: 'jane@example.com' }).locator('td').nth(1).textContent()).toBe('off');
    expect(logs.some((l) => l.includes('"type":"mfa.reset"') && l.includes('lost phone'))).toBe(true);

    await jane.goto(`${app.url}/settings`);
    expect(await text(jane, '#mfa-state')).toBe('off');
  });

  it('disables two-factor authentication after the password and a current code', async () => {
    secret = await beginEnrolment(jane, 'New phone');
    nextStep();
    expect(await confirm(jane, code())).toBe(200);
    recoveryCodes = await codesOnPage(jane);

    await jane.goto(`${app.url}/settings/disable`);
    await shot(jane, 'disable');
    await jane.fill('input[name=password]', 'not my password');
    await jane.fill('input[name=code]', code());
    expect(await submit(jane, 'form[action="/settings/disable"] button')).toBe(401);
    expect(await text(jane, '.error')).toBe('Wrong password.');
    nextStep();
    await jane.fill('input[name=password]', PASSWORD);
    await jane.fill('input[name=code]', code());
    expect(await submit(jane, 'form[action="/settings/disable"] button')).toBe(302);
    expect(await text(jane, '#mfa-state')).toBe('off');

    await signOut(jane);
    await signIn(jane, 'jane@example.com');
    expect(new URL(jane.url()).pathname).toBe('/');
  });

  it('requires MFA for everyone: a reminder during the grace period, then enrolment first (without JavaScript)', async () => {
    await admin.goto(`${app.url}/admin`);
    await admin.check('input[name=required]');
    await admin.fill('input[name=graceDays]', '7');
    expect(await submit(admin, 'form[action="/admin/policy"] button')).toBe(302);
    expect(await text(admin, '#policy')).toContain('grace period until');
    await jane.goto(`${app.url}/`);
    expect(await text(jane, '.warning')).toContain('requires two-factor authentication');

    await admin.fill('input[name=graceDays]', '0');
    expect(await submit(admin, 'form[action="/admin/policy"] button')).toBe(302);
    // The administrator has no MFA either: enrolment comes first for them too.
    expect(new URL(admin.url()).pathname).toBe('/settings/add');
    const adminSecret = await beginEnrolment(admin, 'Authenticator app');
    expect(await confirm(admin, code(adminSecret))).toBe(200);
    await admin.goto(`${app.url}/admin`);
    expect(await text(admin, '#policy')).toBe('Required.');

    // A session that began without MFA is sent to enrolment on its next page.
    await jane.goto(`${app.url}/settings`);
    expect(new URL(jane.url()).pathname).toBe('/settings/add');

    const noScript = await browser.newContext({ viewport: { width: 1000, height: 720 }, javaScriptEnabled: false });
    const bob = await open(noScript);
    await signUp(bob, 'bob@example.com');
    expect(new URL(bob.url()).pathname).toBe('/settings/add');
    expect(await text(bob, '.warning')).toContain('requires two-factor authentication');
    await shot(bob, 'forced-enrol');
    await bob.goto(`${app.url}/settings`);
    expect(new URL(bob.url()).pathname).toBe('/settings/add');

    const bobSecret = await beginEnrolment(bob, 'Authenticator app');
    expect(await confirm(bob, code(bobSecret))).toBe(200);
    expect(await codesOnPage(bob)).toHaveLength(10);
    expect(await bob.isVisible('#copy')).toBe(false); // Copy needs the script; Download is a plain link
    expect(await bob.getAttribute('#download', 'href')).toMatch(/^data:text\/plain/);
    await bob.goto(`${app.url}/settings`);
    expect(await text(bob, '#mfa-state')).toBe('on');
    await noScript.close();

    await admin.goto(`${app.url}/admin`);
    expect(await admin.locator('#users tr', { hasText: 'jane@example.com' }).locator('td').nth(1).textContent()).toBe('off, must enrol');
    expect(await admin.locator('#users tr', { hasText: 'bob@example.com' }).locator('td').nth(1).textContent()).toBe('on');
  });

  it('adds passkeys in Chromium’s virtual authenticators: signs in with each, refuses a replay, removes one, and shares the lock with codes', async () => {
    // Passkeys are bound to a site name, not an address: these pages are on http://localhost.
    const site = app.url.replace('127.0.0.1', 'localhost');
    const ctx = await browser.newContext({ viewport: { width: 1000, height: 720 } });
    /** A tab with its own virtual authenticator (CDP WebAuthn domain). */
    const tabWithAuthenticator = async (): Promise<Page> => {
      const page = await open(ctx);
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });
      return page;
    };
    const laptop = await tabWithAuthenticator();
    const key = await tabWithAuthenticator();
    /** Clicks the passkey button of the page at `path` and returns the status of the form post it makes. */
    const usePasskey = async (page: Page, path: string, button: string): Promise<number> => {
      await page.goto(`${site}${path}`);
      // WebAuthn answers only in the focused tab.
      await page.bringToFront();
      return submit(page, button);
    };

    // MFA is required by now (the test before): the new user's first factor can be a passkey.
    await signUp(laptop, 'sam@example.com', site);
    expect(await usePasskey(laptop, '/settings/passkeys/new', '#passkey-create')).toBe(200);
    await shot(laptop, 'passkey-added');
    expect(await codesOnPage(laptop)).toHaveLength(10);
    const samSecret = await beginEnrolment(laptop, 'Authenticator app', site);
    expect(await confirm(laptop, code(samSecret))).toBe(302);
    nextStep();
    // The second passkey is made by the other tab's authenticator (the first is excluded).
    expect(await usePasskey(key, '/settings/passkeys/new', '#passkey-create')).toBe(302);
    await key.waitForURL(/\/settings\?done=added$/);
    expect(await key.locator('#factors tr', { hasText: 'passkey, active' }).count()).toBe(2);

    // Sign-in with the laptop's passkey; the same answer posted again is refused.
    await signOut(key);
    await signIn(laptop, 'sam@example.com', site);
    expect(new URL(laptop.url()).pathname).toBe('/login/code');
    await shot(laptop, 'passkey-sign-in');
    await laptop.bringToFront();
    const [posted] = await Promise.all([laptop.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/login/code')), laptop.click('#passkey-get')]);
    await laptop.waitForURL(`${site}/`);
    const answer = posted.postData() ?? '';
    expect(answer).toContain('passkey=');
    await signOut(laptop);
    await signIn(laptop, 'sam@example.com', site);
    const replay = await laptop.request.post(`${site}/login/code`, { headers: { 'content-type': 'application/x-www-form-urlencoded', origin: site }, data: answer });
    expect(replay.status()).toBe(401);
    expect(await replay.text()).toContain('already used');

    // The key's passkey signs in too; then the laptop's is removed, with a current code.
    expect(await usePasskey(key, '/login/code', '#passkey-get')).toBe(302);
    await key.waitForURL(`${site}/`);
    await key.goto(`${site}/settings`);
    const row = key.locator('#factors tr', { hasText: 'passkey, active' }).first();
    await row.locator('input[name=code]').fill(code(samSecret));
    await Promise.all([key.waitForURL(/done=removed/), row.locator('button', { hasText: 'Remove' }).click()]);
    nextStep();
    expect(await key.locator('#factors tr', { hasText: 'passkey, active' }).count()).toBe(1);

    // Five wrong codes lock the passkey out too, until the lock ends.
    await signOut(key);
    await signIn(key, 'sam@example.com', site);
    for (let i = 0; i < 5; i++) expect(await secondStep(key, wrongCode(samSecret))).toBe(401);
    expect(await usePasskey(key, '/login/code', '#passkey-get')).toBe(429);
    expect(await text(key, '.error')).toContain('Too many attempts');
    clock += 30_000;
    expect(await usePasskey(key, '/login/code', '#passkey-get')).toBe(302);
    await ctx.close();
  });

  it('logs no secret, code or password, and breaks no CSP rule', () => {
    const all = logs.join('\n');
    expect(all).toContain('"type":"verify.succeeded"');
    for (const s of [secret, PASSWORD, ...recoveryCodes]) expect(all).not.toContain(s);
    expect(consoleErrors).toEqual([]);
  });
});
