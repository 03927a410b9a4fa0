import { accessToken, ensureSession, setAccessToken } from './api.js';
import { h } from './dom.js';
import { LivePage } from './live-page.js';
import { coursesPage, modelsPage } from './pages.js';
import { monitoringPage } from './monitoring-page.js';
import { RecommendPage } from './recommend.js';
import './styles.css';

accessToken(); // moves #token= from the URL into session storage before anything else runs

const page = document.getElementById('page')!;
const conn = document.getElementById('conn')!;
const setConnection = (text: string, ok: boolean) => {
  conn.textContent = text;
  conn.className = `conn ${ok ? 'ok' : 'down'}`;
};

/** The gateway wants a token this tab does not have (or a wrong one): ask for it. */
function signIn(): void {
  setConnection('signed out', false);
  const input = h('input', { id: 'signin-token', type: 'password', required: true, autocomplete: 'off', placeholder: 'access token' });
  const error = h('div', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'panel signin' }, h('h2', { text: 'Sign in' }), h('p', { text: 'This gateway needs its access token (STREAMLENS_TOKEN).' }), input, h('button', { type: 'submit', text: 'Sign in' }), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    setAccessToken(input.value.trim());
    if (await ensureSession()) location.reload();
    else {
      setAccessToken(undefined);
      error.textContent = 'That token is not valid.';
    }
  });
  page.replaceChildren(form);
}

async function start(): Promise<void> {
  if (!(await ensureSession())) {
    signIn();
    return;
  }
  // The live page keeps its socket and state while other pages are shown.
  const live = new LivePage(setConnection);
  const recommend = new RecommendPage();

  const route = async (): Promise<void> => {
    const r = location.hash.replace(/^#\/?/, '') || 'live';
    for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) a.classList.toggle('active', a.dataset.route === r);
    if (r !== 'recommend') recommend.hide();
    if (r === 'recommend') recommend.show(page);
    else if (r === 'models') await modelsPage(page);
    else if (r === 'courses') await coursesPage(page);
    else if (r === 'monitoring') await monitoringPage(page);
    else page.replaceChildren(live.el);
  };

  window.addEventListener('hashchange', () => void route());
  void route();
}

void start();
