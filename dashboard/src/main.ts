import { accessToken } from './api.js';
import { LivePage } from './live-page.js';
import { coursesPage, modelsPage } from './pages.js';
import { RecommendPage } from './recommend.js';
import './styles.css';

accessToken(); // moves ?token= from the URL into session storage before anything else runs

const page = document.getElementById('page')!;
const conn = document.getElementById('conn')!;
const setConnection = (text: string, ok: boolean) => {
  conn.textContent = text;
  conn.className = `conn ${ok ? 'ok' : 'down'}`;
};

// The live page keeps its socket and state while other pages are shown.
const live = new LivePage(setConnection);
const recommend = new RecommendPage();

async function route(): Promise<void> {
  const r = location.hash.replace(/^#\/?/, '') || 'live';
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) a.classList.toggle('active', a.dataset.route === r);
  if (r !== 'recommend') recommend.hide();
  if (r === 'recommend') recommend.show(page);
  else if (r === 'models') await modelsPage(page);
  else if (r === 'courses') await coursesPage(page);
  else page.replaceChildren(live.el);
}

window.addEventListener('hashchange', () => void route());
void route();
