import { useState } from 'preact/hooks';

/** Asked once per tab when the agent has a REST token; the token stays out of every URL. */
export function TokenForm({ refused, onSubmit }: { refused: boolean; onSubmit(token: string): void }) {
  const [token, setToken] = useState('');
  return (
    <main class="token-page">
      <form
        class="token-form"
        aria-labelledby="token-title"
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim() !== '') onSubmit(token.trim());
        }}
      >
        <h1 id="token-title">This agent needs its REST token</h1>
        <p>The dashboard shows everything the controller does, so the agent protects it with the bearer token of its REST API (rest.token).</p>
        {refused && (
          <p class="error" role="alert">
            The agent refused that token.
          </p>
        )}
        <label for="token-input">Token</label>
        <input id="token-input" type="password" autocomplete="off" autofocus value={token} onInput={(event) => setToken(event.currentTarget.value)} />
        <button type="submit">Open the dashboard</button>
        <p class="hint">Kept in this tab only (session storage) and sent in the Authorization header.</p>
      </form>
    </main>
  );
}
