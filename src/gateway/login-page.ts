import { createHash } from 'node:crypto';

/**
 * The body of a 401 answer to a browser that opens the dashboard without a session: no data, one
 * form. The token comes from the form or from the URL fragment (`/#token=...`, which browsers never
 * send to the server); it is exchanged for the session cookie with `POST /api/session`
 * (Authorization header) and kept in this tab's session storage for the dashboard's API calls and
 * WebSocket subprotocol. The script is allowed by its hash in the page's Content-Security-Policy.
 */
const SCRIPT = `(function () {
  var KEY = 'streamlens.token', RELOADED = 'streamlens.login.reloadedAt';
  var form = document.getElementById('login'), input = document.getElementById('token'), msg = document.getElementById('msg');
  function say(text) { msg.textContent = text; }
  function tryToken(token, quiet) {
    if (!token) return;
    fetch('/api/session', { method: 'POST', headers: { Authorization: 'Bearer ' + token }, credentials: 'same-origin' }).then(function (r) {
      if (r.ok) {
        sessionStorage.setItem(KEY, token);
        var last = Number(sessionStorage.getItem(RELOADED) || 0);
        if (Date.now() - last < 5000) { say('Signed in, but this browser did not keep the session cookie: allow cookies for this site.'); return; }
        sessionStorage.setItem(RELOADED, String(Date.now()));
        location.reload();
        return;
      }
      if (r.status === 401) sessionStorage.removeItem(KEY);
      if (!quiet) say(r.status === 401 ? 'That token is not valid.' : 'The gateway answered ' + r.status + '.');
    }, function () { if (!quiet) say('The gateway cannot be reached.'); });
  }
  function fromHash() {
    var m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (!m) return false;
    var rest = location.hash.replace(/(?:^#|&)token=[^&]*/, '').replace(/^&/, '');
    history.replaceState(null, '', location.pathname + location.search + (rest ? '#' + rest : ''));
    tryToken(decodeURIComponent(m[1]), false);
    return true;
  }
  if (!fromHash()) tryToken(sessionStorage.getItem(KEY) || '', true);
  window.addEventListener('hashchange', fromHash);
  form.addEventListener('submit', function (e) { e.preventDefault(); say(''); tryToken(input.value.trim(), false); });
})();`;

const SCRIPT_HASH = `sha256-${createHash('sha256').update(SCRIPT).digest('base64')}`;

/** Content-Security-Policy of the login page: its one inline script, same-origin fetches, nothing else. */
export const LOGIN_PAGE_CSP = `default-src 'none'; script-src '${SCRIPT_HASH}'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`;

export const LOGIN_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>streamlens — sign in</title>
<style>
body { font: 16px system-ui, sans-serif; background: #0f1419; color: #e6e6e6; display: grid; place-items: center; min-height: 100vh; margin: 0; }
form { background: #1a2129; padding: 2rem; border-radius: 8px; display: grid; gap: .75rem; min-width: 20rem; }
input, button { font: inherit; padding: .5rem; border-radius: 4px; border: 1px solid #3a4550; }
button { background: #2d7dd2; color: #fff; border: 0; cursor: pointer; }
#msg { color: #ff8a80; min-height: 1.2em; }
</style>
</head>
<body>
<form id="login" autocomplete="off">
<h1>streamlens</h1>
<label for="token">Access token</label>
<input id="token" name="token" type="password" required autofocus>
<button type="submit">Sign in</button>
<div id="msg" role="alert"></div>
</form>
<script>${SCRIPT}</script>
</body>
</html>
`;
