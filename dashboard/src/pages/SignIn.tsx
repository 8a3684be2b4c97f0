/**
 * Sign-in. Accessible names: heading "Sign in"; password field labelled "Admin token"; button
 * "Sign in"; a refused token's server message in role="alert" (data-testid="sign-in-error");
 * a notice (session ended) in role="status".
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorMessage } from '../api';

export function SignIn(props: { notice: string | null; onSignedIn: (csrfToken: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const session = await api.signIn(token);
      setToken('');
      props.onSignedIn(session.csrf_token);
    } catch (err) {
      setError(errorMessage(err));
      input.current?.select();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="centered">
      <form class="card sign-in" onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-heading">
        <h1 id="sign-in-heading">Sign in</h1>
        <p>Family Guy bots: admin dashboard.</p>
        {props.notice && <p role="status">{props.notice}</p>}
        <label for="admin-token">Admin token</label>
        <input
          id="admin-token"
          ref={input}
          type="password"
          name="token"
          autoComplete="current-password"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby={error ? 'sign-in-error' : undefined}
          aria-invalid={error ? true : undefined}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p id="sign-in-error" role="alert" class="error-text" data-testid="sign-in-error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
