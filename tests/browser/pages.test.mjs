// pages.test.mjs - the sign-in, consent, error and devices pages in a real
// browser (SPEC section 9): Debian's chromium driven by playwright-core,
// run by node's own test runner (node --test).
//
// The client of these tests lives on another origin than the server
// (localhost vs 127.0.0.1, same port): its pages and its redirect URI are
// served by the test itself through request interception, so every
// authorization starts with a cross-site navigation, as it does for a real
// client, and the 303 that follows the consent form goes to a foreign
// origin, which is what the CSP form-action directive has to allow.
//
// Environment (as tests/run.sh gives the pytest suite):
//   OAUTH_TEST_URL     http://127.0.0.1:PORT (default: port 8080)
//   OAUTH_TEST_CONFIG  the instance's oauth.conf (default var/PORT/...)
//   OAUTH_TEST_BINARY  cgi/oauth.fcgi, run as the admin CLI
//   CHROMIUM           the browser (default /usr/bin/chromium)
// Screenshots of each page go to docs/screens/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BASE = (process.env.OAUTH_TEST_URL || 'http://127.0.0.1:8080')
    .replace(/\/+$/, '');
const PORT = new URL(BASE).port || '80';
const CONFIG = process.env.OAUTH_TEST_CONFIG ||
    join(ROOT, 'var', PORT, 'oauth.conf');
const BINARY = process.env.OAUTH_TEST_BINARY ||
    join(ROOT, 'cgi', 'oauth.fcgi');
const SCREENS = join(ROOT, 'docs', 'screens');
// The client's origin: the same server under its other loopback name.
const CLIENT = (() => {
  const u = new URL(BASE);
  u.hostname = u.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  return u.origin;
})();
const CALLBACK = CLIENT + '/cb';

let browser;

function cli(args, input) {
  return execFileSync(BINARY, args, {
    input: input ?? '',
    env: { ...process.env, OAUTH_CONFIG: CONFIG },
    encoding: 'utf8',
    timeout: 60000,
  });
}

function newUser() {
  const username = 'b_' + randomBytes(6).toString('hex');
  const password = 'pw-' + randomBytes(12).toString('base64url');
  cli(['user', 'add', username, '--email', username + '@example.com',
    '--first', 'Ada', '--last', 'Lovelace'], password + '\n');
  return { username, password };
}

function newClient({ grants = ['authorization_code'], name = 'Photo Printer',
  scopes = [] } = {}) {
  const id = 'bc_' + randomBytes(6).toString('hex');
  const args = ['client', 'add', id, '--redirect-uri', CALLBACK, '--public',
    '--name', name];
  for (const g of grants) args.push('--grant', g);
  for (const s of scopes) args.push('--scope', s);
  cli(args);
  return id;
}

function pkce() {
  const verifier = randomBytes(48).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

function authorizeUrl(params) {
  return BASE + '/oauth/authorize?' + new URLSearchParams(params);
}

async function screenshot(page, name) {
  mkdirSync(SCREENS, { recursive: true });
  await page.screenshot({ path: join(SCREENS, name + '.png'),
    fullPage: true });
}

// A browser context with the client's pages served by the test: /app has
// a link to the authorization request, /cb shows what arrived.
async function clientContext(opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1000,
    height: 760 }, ...opts });
  const violations = [];
  context.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await context.route(CLIENT + '/app**', (route) => {
    const to = new URL(route.request().url()).searchParams.get('to');
    route.fulfill({ status: 200, contentType: 'text/html',
      body: `<!DOCTYPE html><title>Client</title><a id="go" href="${
        to.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">Sign in</a>` });
  });
  await context.route(CLIENT + '/cb**', (route) => {
    route.fulfill({ status: 200, contentType: 'text/html',
      body: '<!DOCTYPE html><title>Callback</title><p>back at the client' });
  });
  context.violations = violations;
  return context;
}

// Start at the client and follow its link: a cross-site navigation.
async function startAt(page, params) {
  await page.goto(CLIENT + '/app?to=' +
      encodeURIComponent(authorizeUrl(params)));
  await Promise.all([page.waitForNavigation(), page.click('#go')]);
}

async function signIn(page, user) {
  await page.getByLabel('Username or phone number').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await Promise.all([page.waitForNavigation(),
    page.getByRole('button', { name: 'Sign in' }).click()]);
}

// Click and wait until the browser arrives at the client's callback.
async function clickToCallback(page, name) {
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(CALLBACK)),
    page.getByRole('button', { name, exact: true }).click(),
  ]);
  return new URL(page.url());
}

before(async () => {
  const args = ['--disable-dev-shm-usage'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true, args,
  });
});

after(async () => {
  if (browser) await browser.close();
});

test('code + PKCE from the sign-in form to the token, without JavaScript',
    async () => {
      const user = newUser();
      const client = newClient({ grants: ['authorization_code',
        'refresh_token'] });
      const { verifier, challenge } = pkce();
      const state = 'st a/b&c=d \u00e9';
      // The pages must work with scripts off: plain forms only.
      const context = await clientContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await startAt(page, { response_type: 'code', client_id: client,
        redirect_uri: CALLBACK, scope: 'username email', state,
        code_challenge: challenge, code_challenge_method: 'S256' });
      assert.equal(await page.title(), 'Sign in');
      assert.match(await page.textContent('main'), /Photo Printer/);
      await screenshot(page, 'login');
      await signIn(page, user);
      // The consent page names the client and the scopes in words.
      assert.equal(await page.title(), 'Allow access?');
      const text = await page.textContent('main');
      assert.match(text, /Photo Printer/);
      assert.match(text, /Your username/);
      assert.match(text, /Your email address/);
      assert.match(text, new RegExp(user.username));
      await screenshot(page, 'consent');
      // Approve: a 303 to another origin, allowed by form-action.
      const back = await clickToCallback(page, 'Approve');
      assert.equal(back.searchParams.get('state'), state);
      const code = back.searchParams.get('code');
      assert.match(code, /^[0-9a-f]{40}$/);
      assert.deepEqual(context.violations, []);
      await context.close();
      // The client exchanges the code with its verifier.
      const r = await fetch(BASE + '/oauth/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code,
          redirect_uri: CALLBACK, client_id: client,
          code_verifier: verifier }),
      });
      const body = await r.json();
      assert.equal(r.status, 200, JSON.stringify(body));
      assert.equal(body.token_type, 'Bearer');
      assert.match(body.access_token, /^[0-9a-f]{40}$/);
      assert.equal(body.scope, 'username email');
    });

test('the style sheet loads and nothing breaks the CSP', async () => {
  const client = newClient();
  const context = await clientContext();
  const page = await context.newPage();
  await page.goto(authorizeUrl({ response_type: 'code', client_id: client,
    code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
  const radius = await page.$eval('main.card',
      (el) => getComputedStyle(el).borderTopLeftRadius);
  assert.equal(radius, '10px');
  // Phone width: the card fills the screen, nothing overflows.
  await page.setViewportSize({ width: 375, height: 700 });
  const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false);
  await screenshot(page, 'login-mobile');
  assert.deepEqual(context.violations, []);
  await context.close();
});

test('without the client in form-action, the browser would block the ' +
    'redirect (why the header names it)', async () => {
  const user = newUser();
  const client = newClient();
  const context = await clientContext();
  const page = await context.newPage();
  const params = { response_type: 'code', client_id: client,
    redirect_uri: CALLBACK, code_challenge: pkce().challenge,
    code_challenge_method: 'S256' };
  await startAt(page, params);
  await signIn(page, user);
  // Serve the consent page with form-action 'self' only.
  let stripped = false;
  await page.route(BASE + '/oauth/authorize?**', async (route) => {
    const response = await route.fetch();
    const headers = response.headers();
    headers['content-security-policy'] =
        headers['content-security-policy'].replace(
            /form-action [^;]*/, "form-action 'self'");
    stripped = true;
    await route.fulfill({ response, headers });
  });
  await page.reload();
  assert.ok(stripped);
  let arrived = false;
  page.on('request', (req) => {
    if (req.url().startsWith(CALLBACK)) arrived = true;
  });
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.waitForTimeout(1500);
  assert.equal(arrived, false, 'the redirect went through anyway');
  assert.ok(context.violations.some((v) => /form-action/.test(v)),
      'no form-action violation reported: ' + context.violations);
  await context.close();
});

test('Deny sends access_denied to the redirect URI', async () => {
  const user = newUser();
  const client = newClient();
  const context = await clientContext();
  const page = await context.newPage();
  await startAt(page, { response_type: 'code', client_id: client,
    redirect_uri: CALLBACK, state: 'deny-me',
    code_challenge: pkce().challenge, code_challenge_method: 'S256' });
  await signIn(page, user);
  const back = await clickToCallback(page, 'Deny');
  assert.equal(back.searchParams.get('error'), 'access_denied');
  assert.equal(back.searchParams.get('state'), 'deny-me');
  assert.equal(back.searchParams.get('code'), null);
  await context.close();
});

test('a tampered CSRF field gets the 403 page and nothing happens',
    async () => {
      const user = newUser();
      const client = newClient();
      const context = await clientContext();
      const page = await context.newPage();
      await startAt(page, { response_type: 'code', client_id: client,
        redirect_uri: CALLBACK, code_challenge: pkce().challenge,
        code_challenge_method: 'S256' });
      await signIn(page, user);
      let arrived = false;
      page.on('request', (req) => {
        if (req.url().startsWith(CALLBACK)) arrived = true;
      });
      // Every form on the page carries the token; change them all.
      await page.$$eval('input[name=csrf]', (els) => {
        for (const el of els) el.value = '0'.repeat(40);
      });
      const [resp] = await Promise.all([
        page.waitForNavigation(),
        page.getByRole('button', { name: 'Approve', exact: true }).click(),
      ]);
      assert.equal(resp.status(), 403);
      assert.equal(await page.title(), 'Form expired');
      assert.match(await page.textContent('main'),
          /The form expired or was sent from another site\. Go back and try again\./);
      assert.equal(arrived, false);
      await screenshot(page, 'error');
      // Back, and the untouched form works.
      await page.goBack();
      const back = await clickToCallback(page, 'Approve');
      assert.match(back.searchParams.get('code'), /^[0-9a-f]{40}$/);
      await context.close();
    });

test('an unknown redirect URI gets a readable error page, not a redirect',
    async () => {
      const client = newClient();
      const context = await clientContext();
      const page = await context.newPage();
      let left = false;
      page.on('request', (req) => {
        if (!req.url().startsWith(BASE) && !req.url().startsWith(CLIENT +
            '/app')) left = true;
      });
      await startAt(page, { response_type: 'code', client_id: client,
        redirect_uri: CALLBACK + '/', state: 'x' });
      assert.equal(await page.title(), 'Unknown return address');
      assert.match(await page.textContent('main'), /not registered/);
      assert.equal(left, false);
      await screenshot(page, 'error-redirect-uri');
      await context.close();
    });

test('remembered consent: the second authorization goes straight back',
    async () => {
      const user = newUser();
      const client = newClient({ name: 'Remembering App' });
      const context = await clientContext();
      const page = await context.newPage();
      const params = { response_type: 'code', client_id: client,
        redirect_uri: CALLBACK, scope: 'username', state: 'first',
        code_challenge: pkce().challenge, code_challenge_method: 'S256' };
      await startAt(page, params);
      await signIn(page, user);
      await page.getByLabel('Remember this decision').check();
      const first = await clickToCallback(page, 'Approve');
      assert.equal(first.searchParams.get('state'), 'first');
      // Again from the client's page: signed in (SameSite=Lax cookie on a
      // cross-site navigation) and already approved, so no page at all.
      params.state = 'second';
      params.code_challenge = pkce().challenge;
      let pages = 0;
      page.on('response', (r) => {
        if (r.url().startsWith(BASE) && r.status() === 200) pages++;
      });
      await page.goto(CLIENT + '/app?to=' +
          encodeURIComponent(authorizeUrl(params)));
      await Promise.all([page.waitForURL((u) => u.href.startsWith(CALLBACK)),
        page.click('#go')]);
      const second = new URL(page.url());
      assert.equal(second.searchParams.get('state'), 'second');
      assert.match(second.searchParams.get('code'), /^[0-9a-f]{40}$/);
      assert.equal(pages, 0);
      await context.close();
    });

test('signing out a device on /account/devices kills its token',
    async () => {
      const user = newUser();
      // A phone logs in through the legacy API: a device session.
      const device = 'Test phone ' + randomBytes(3).toString('hex');
      const login = await fetch(BASE + '/v1/oauth/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: user.username,
          password: user.password, 'device-info': device }),
      });
      const token = (await login.json()).data.access_token;
      const sessions = () => fetch(BASE + '/v1/oauth/sessions/', {
        headers: { Authorization: 'Token ' + token } }).then((r) => r.json());
      assert.equal((await sessions()).success, true);

      const context = await clientContext();
      const page = await context.newPage();
      await page.goto(BASE + '/account/devices');
      assert.equal(await page.title(), 'Sign in');
      await signIn(page, user);
      assert.equal(new URL(page.url()).pathname, '/account/devices');
      assert.equal(await page.title(), 'Your devices');
      const row = page.locator('li.device', { hasText: device });
      assert.equal(await row.count(), 1);
      assert.equal(await page.locator('li.device.current').count(), 1);
      assert.match(await page.locator('li.device.current').textContent(),
          /This browser/);
      assert.match(await row.textContent(), /\d{2} \w{3} \d{4}, \d{2}:\d{2} UTC/);
      await screenshot(page, 'devices');
      await Promise.all([page.waitForNavigation(),
        row.getByRole('button', { name: 'Sign out' }).click()]);
      assert.equal(new URL(page.url()).pathname, '/account/devices');
      assert.equal(await page.locator('li.device', { hasText: device })
          .count(), 0);
      const dead = await sessions();
      assert.equal(dead.success, false);
      assert.equal(dead.errors.code, '1403');
      // This browser stays signed in until it signs itself out.
      await Promise.all([page.waitForNavigation(),
        page.locator('li.device.current')
            .getByRole('button', { name: 'Sign out' }).click()]);
      assert.equal(await page.title(), 'Sign in');
      await context.close();
    });
