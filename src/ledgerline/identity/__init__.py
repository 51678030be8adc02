"""Who is at the browser: people's passwords, web sessions, CSRF tokens, login throttling.

Shared by ``web`` (the pages) and ``api`` (which accepts the web session cookie so that page
JavaScript never holds a bearer token); neither may import the other, so it lives here.

- ``passwords``: argon2id hashing (argon2-cffi), with a dummy verification for unknown logins.
- ``sessions``: 256-bit random session ids (stored only as SHA-256), CSRF tokens bound to
  the session by HMAC, and pre-session (sign-in form) CSRF tokens.
- ``service``: ``Identity`` — sign up, sign in (throttled), resolve, sign out, and the bank
  console's sign-in with a page access token.
"""
