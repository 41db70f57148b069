"""Security headers on every answer (pages, API, static files), from one ASGI middleware.

- Content-Security-Policy: the pages load only same-origin scripts and styles (web/static/), no
  inline ones; nothing may frame them (`frame-ancestors 'none'`, and X-Frame-Options DENY for older
  browsers). /docs and /redoc are FastAPI's own pages: they load Swagger UI / ReDoc from jsDelivr and
  start them with an inline script, so they get a policy allowing exactly that.
- X-Content-Type-Options nosniff, Referrer-Policy same-origin.
- Cache-Control no-store on every /api answer and every page (tokens, generated passwords, SIP
  passwords, callers' numbers must not stay in a browser or proxy cache), unless the route set its
  own; static files stay cacheable.
- The session cookie gets `Secure` when the request came over TLS: the request's scheme is https,
  either directly or as a reverse proxy said in X-Forwarded-Proto — uvicorn takes that header only
  from the addresses in FORWARDED_ALLOW_IPS (default 127.0.0.1, i.e. a proxy on the same machine).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {_CDN}; style-src 'self' 'unsafe-inline' {_CDN}; "
    f"img-src 'self' data: https://fastapi.tiangolo.com; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, session_cookie: str):
        self.app = app
        self.cookie = session_cookie.encode() + b"="

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        tls = scope.get("scheme") == "https"
        csp = DOCS_CSP if path.startswith(DOCS_PATHS) else CSP
        cacheable = path.startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                names = {k.lower() for k, _ in headers}
                if tls:
                    headers = [
                        _secure(k, v) if k.lower() == b"set-cookie" and v.startswith(self.cookie) else (k, v)
                        for k, v in headers
                    ]
                extra = [*ALWAYS, (b"content-security-policy", csp.encode())]
                if not cacheable:
                    extra.append((b"cache-control", b"no-store"))
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    if b"; secure" in value.lower():
        return name, value
    return name, value + b"; secure"
