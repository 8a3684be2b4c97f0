/**
 * The admin dashboard: sign-in, then pages chosen by the URL's hash (#/overview, #/prompts, ...).
 * Landmarks: banner (site name, sign-out), nav "Dashboard sections", main. Each page has one h1,
 * focused when the page changes so screen readers announce it.
 */
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, errorMessage, setCsrfToken, setUnauthorizedHandler } from './api';
import { SignIn } from './pages/SignIn';
import { OverviewPage } from './pages/Overview';
import { CharactersPage } from './pages/Characters';
import { PromptsPage } from './pages/Prompts';
import { DeadLettersPage } from './pages/DeadLetters';
import { CrawlsPage } from './pages/Crawls';
import { ConversationsPage } from './pages/Conversations';
import { OrganicPage } from './pages/Organic';
import { PlaygroundPage } from './pages/Playground';
import './style.css';

const PAGES = [
  { path: 'overview', title: 'Overview', Page: OverviewPage },
  { path: 'characters', title: 'Characters', Page: CharactersPage },
  { path: 'prompts', title: 'Prompt versions', Page: PromptsPage },
  { path: 'dead-letters', title: 'Dead letters', Page: DeadLettersPage },
  { path: 'crawls', title: 'Crawls', Page: CrawlsPage },
  { path: 'conversations', title: 'Conversations', Page: ConversationsPage },
  { path: 'organic', title: 'Organic', Page: OrganicPage },
  { path: 'playground', title: 'Playground', Page: PlaygroundPage },
] as const;

function currentPath(): string {
  const path = window.location.hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  return PAGES.some((p) => p.path === path) ? path : 'overview';
}

function useHashPath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const onChange = () => setPath(currentPath());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return path;
}

type AuthState = 'checking' | 'signed-out' | 'signed-in';

function App() {
  const [auth, setAuth] = useState<AuthState>('checking');
  const [notice, setNotice] = useState<string | null>(null);
  const path = useHashPath();
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0];
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setNotice('Your session has ended: sign in again.');
      setAuth('signed-out');
    });
    api.session().then(
      (session) => {
        setCsrfToken(session.csrf_token);
        setAuth('signed-in');
      },
      () => setAuth('signed-out'),
    );
  }, []);

  useEffect(() => {
    document.title = `${page.title} · Family Guy bots admin`;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [page]);

  const signOut = useCallback(async () => {
    try {
      await api.delete('/session');
    } catch (err) {
      // Signed out either way on this page; say what the server said.
      setNotice(`Sign-out: ${errorMessage(err)}`);
    }
    setCsrfToken(null);
    setAuth('signed-out');
  }, []);

  if (auth === 'checking') {
    return (
      <main id="main" class="centered">
        <p role="status">Checking your session…</p>
      </main>
    );
  }
  if (auth === 'signed-out') {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(csrf) => {
          setCsrfToken(csrf);
          setNotice(null);
          setAuth('signed-in');
        }}
      />
    );
  }

  const { Page } = page;
  return (
    <>
      <a class="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header class="site-header">
        <span class="brand">Family Guy bots · admin</span>
        <nav aria-label="Dashboard sections">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <a href={`#/${p.path}`} aria-current={p.path === path ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="sign-out" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <Page key={page.path} />
      </main>
    </>
  );
}

/** The skip link moves focus without changing the hash (the hash is the router's). */
function skipToMain(event: MouseEvent) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}

const root = document.getElementById('app');
if (root) render(<App />, root);
