// node.test.mjs - the Node-server dialect's whole flow (SPEC section N,
// seed 001) with a real browser: register a client and a user through
// /register_client and /register_user, authorize in Debian's chromium
// (driven by playwright-core) through GET /authorize and the sign-in and
// consent pages, exchange the code at POST /token, call /api, then refresh
// and client_credentials as the seed documents them.
//
// Set up like pages.test.mjs: the client lives on another origin than the
// server (localhost vs 127.0.0.1, same port); its page and its redirect URI
// are served by the test through request interception, so the
// authorization starts with a cross-site navigation and the 303 after the
// consent form goes to a foreign origin.
//
// Needs an instance with registration = open (make test and make run open
// it). Environment as for pages.test.mjs:
//   OAUTH_TEST_URL     http://127.0.0.1:PORT (default: port 8080)
//   CHROMIUM           the browser (default /usr/bin/chromium)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const BASE = (process.env.OAUTH_TEST_URL || 'http://127.0.0.1:8080')
    .replace(/\/+$/, '');
// The client's origin: the same server under its other loopback name.
const CLIENT = (() => {
  const u = new URL(BASE);
  u.hostname = u.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  return u.origin;
})();
const CALLBACK = CLIENT + '/cb';

let browser;

async function postJson(path, body, headers = {}) {
  const r = await fetch(BASE + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

async function postForm(path, fields, headers = {}) {
  const r = await fetch(BASE + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded',
      ...headers },
    body: new URLSearchParams(fields),
  });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

// Seed 001's "Register Client": client_id, client_secret, redirect_uri.
async function registerClient(extra = {}) {
  const client = {
    client_id: 'nb_' + randomBytes(6).toString('hex'),
    client_secret: 'secret-' + randomBytes(9).toString('base64url'),
    redirect_uri: CALLBACK,
    ...extra,
  };
  const r = await postJson('/register_client', client);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.text,
      '{"status":"SUCCESS","message":"register client successfully"}');
  return client;
}

// Seed 001's "Register_user": the six fields.
async function registerUser() {
  const username = 'nbu_' + randomBytes(6).toString('hex');
  const user = {
    firstname: 'Ada', lastname: 'Lovelace', username,
    phone: '+44' + String(1e9 + Math.floor(Math.random() * 8e9)),
    email: username + '@example.com',
    password: 'pw-' + randomBytes(12).toString('base64url'),
  };
  const r = await postJson('/register_user', user);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.text,
      '{"status":"SUCCESS","message":"register user successfully"}');
  return user;
}

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
      body: `<!DOCTYPE html><title>Node client</title><a id="go" href="${
        to.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">Login</a>` });
  });
  await context.route(CLIENT + '/cb**', (route) => {
    route.fulfill({ status: 200, contentType: 'text/html',
      body: '<!DOCTYPE html><title>Callback</title><p>back at the client' });
  });
  context.violations = violations;
  return context;
}

function authorizeUrl(params) {
  return BASE + '/authorize?' + new URLSearchParams(params);
}

async function startAt(page, params) {
  await page.goto(CLIENT + '/app?to=' +
      encodeURIComponent(authorizeUrl(params)));
  await Promise.all([page.waitForNavigation(), page.click('#go')]);
}

async function signIn(page, login, password) {
  await page.getByLabel('Username or phone number').fill(login);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForNavigation(),
    page.getByRole('button', { name: 'Sign in' }).click()]);
}

async function clickToCallback(page, name) {
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(CALLBACK)),
    page.getByRole('button', { name, exact: true }).click(),
  ]);
  return new URL(page.url());
}

function parseSuccess(r, keys) {
  assert.equal(r.status, 200, r.text);
  const body = JSON.parse(r.text);
  assert.deepEqual(Object.keys(body), keys, r.text);
  assert.equal(body.status, 'SUCCESS');
  return body;
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

test('seed 001 flow: register client and user, authorize in the browser, ' +
    'token, /api', async () => {
  const client = await registerClient();
  const user = await registerUser();
  const state = 'node state/' + randomBytes(3).toString('hex');
  // Plain forms: the pages work with scripts off.
  const context = await clientContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await startAt(page, { client_id: client.client_id, response_type: 'code',
    redirect_uri: CALLBACK, scope: 'username email', state });
  assert.equal(new URL(page.url()).pathname, '/authorize');
  assert.equal(await page.title(), 'Sign in');
  // A client registered through /register_client is named by its id.
  assert.match(await page.textContent('main'),
      new RegExp(client.client_id));
  await signIn(page, user.username, user.password);
  assert.equal(await page.title(), 'Allow access?');
  const text = await page.textContent('main');
  assert.match(text, new RegExp(client.client_id));
  assert.match(text, /Your username/);
  assert.match(text, /Your email address/);
  assert.doesNotMatch(text, /Your phone number/);
  assert.match(text, new RegExp(user.username));
  // Approve: {redirect_uri}?code={authorization_code}&state={YOUR_STATE}
  const back = await clickToCallback(page, 'Approve');
  assert.equal(back.origin + back.pathname, CALLBACK);
  // ... and iss (RFC 9207, SPEC 14).
  assert.deepEqual([...back.searchParams.keys()], ['code', 'state', 'iss']);
  assert.equal(back.searchParams.get('state'), state);
  const code = back.searchParams.get('code');
  assert.match(code, /^[0-9a-f]{40}$/);
  assert.deepEqual(context.violations, []);
  await context.close();

  // "Request token": form body, grant_type=authorization_code.
  const tok = parseSuccess(await postForm('/token', {
    grant_type: 'authorization_code', client_id: client.client_id,
    client_secret: client.client_secret, code, redirect_uri: CALLBACK,
  }), ['status', 'access_token', 'refresh_token']);
  assert.match(tok.access_token, /^[0-9a-f]{40}$/);
  assert.match(tok.refresh_token, /^[0-9a-f]{40}$/);

  // "Get data": POST, form content type, Bearer: only the scoped fields.
  const data = await postForm('/api', {},
      { Authorization: 'Bearer ' + tok.access_token });
  assert.equal(data.status, 200, data.text);
  assert.deepEqual(JSON.parse(data.text), { status: 'SUCCESS',
    data: { username: user.username, email: user.email } });

  // The code was single use.
  const again = await postForm('/token', {
    grant_type: 'authorization_code', client_id: client.client_id,
    client_secret: client.client_secret, code, redirect_uri: CALLBACK,
  });
  assert.equal(again.status, 400);
  assert.equal(again.text, '{"status":"FAILED","message":"invalid grant"}');
});

test('seed 001 refresh token and client credentials after a browser login',
    async () => {
      const client = await registerClient({
        grants: ['authorization_code', 'refresh_token',
          'client_credentials'] });
      const user = await registerUser();
      const context = await clientContext();
      const page = await context.newPage();
      await startAt(page, { client_id: client.client_id,
        response_type: 'code', redirect_uri: CALLBACK,
        scope: 'firstname lastname phone', state: 'r1' });
      // Sign in by phone number, as the login page allows.
      await signIn(page, user.phone, user.password);
      const back = await clickToCallback(page, 'Approve');
      const code = back.searchParams.get('code');
      await context.close();
      const first = parseSuccess(await postForm('/token', {
        grant_type: 'authorization_code', client_id: client.client_id,
        client_secret: client.client_secret, code, redirect_uri: CALLBACK,
      }), ['status', 'access_token', 'refresh_token']);

      // "Refresh token": the same shape, both tokens new.
      const second = parseSuccess(await postForm('/token', {
        grant_type: 'refresh_token', client_id: client.client_id,
        client_secret: client.client_secret,
        refresh_token: first.refresh_token,
      }), ['status', 'access_token', 'refresh_token']);
      assert.notEqual(second.access_token, first.access_token);
      assert.notEqual(second.refresh_token, first.refresh_token);
      const r = await fetch(BASE + '/api', { headers: {
        Authorization: 'Bearer ' + second.access_token } });
      assert.deepEqual(await r.json(), { status: 'SUCCESS', data: {
        firstname: user.firstname, lastname: user.lastname,
        phone: user.phone } });

      // "Client credentials": an access token only.
      const cc = parseSuccess(await postForm('/token', {
        grant_type: 'client_credentials', client_id: client.client_id,
        client_secret: client.client_secret,
      }), ['status', 'access_token']);
      assert.match(cc.access_token, /^[0-9a-f]{40}$/);
    });

test('Deny on the consent page sends access_denied to the node client',
    async () => {
      const client = await registerClient();
      const user = await registerUser();
      const context = await clientContext();
      const page = await context.newPage();
      await startAt(page, { client_id: client.client_id,
        response_type: 'code', redirect_uri: CALLBACK, scope: 'email',
        state: 'nope' });
      await signIn(page, user.username, user.password);
      const back = await clickToCallback(page, 'Deny');
      assert.equal(back.searchParams.get('error'), 'access_denied');
      assert.equal(back.searchParams.get('state'), 'nope');
      assert.equal(back.searchParams.get('code'), null);
      await context.close();
    });

test('an unregistered redirect URI stays on a readable error page',
    async () => {
      const client = await registerClient();
      const context = await clientContext();
      const page = await context.newPage();
      let left = false;
      page.on('request', (req) => {
        if (req.url().startsWith(CALLBACK)) left = true;
      });
      await startAt(page, { client_id: client.client_id,
        response_type: 'code', redirect_uri: CALLBACK + '/other',
        state: 'x' });
      assert.equal(await page.title(), 'Unknown return address');
      assert.match(await page.textContent('main'), /not registered/);
      assert.equal(left, false);
      await context.close();
    });
