"""Serve a directory on loopback (the SPA needs nothing more than static files). With --api,
its `config.js` is answered with that API address: the app, served apart from the API, finds
it without being told (`?api=` still overrides)."""

import argparse
import functools
import http.server
import json
import re
import urllib.parse

ORIGIN = re.compile(r"^https?://[A-Za-z0-9.:\[\]-]+/?$")  # what may go into the policy's connect-src


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}
    api_base: str | None = None

    def do_GET(self):
        if self.api_base is not None and self.path.split("?")[0] == "/config.js":
            body = f"window.DIGITS_CONFIG = {{ apiBase: {json.dumps(self.api_base)} }};\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        # As nginx serves it (docker/nginx.conf): the app may call its API (this server's --api,
        # or the page's ?api=), load its own files, and not be framed.
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        apis = [a for a in [self.api_base, *query.get("api", [])] if a and ORIGIN.match(a)]
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            f"connect-src 'self' {' '.join(apis)}; object-src 'none'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'",
        )
        self.send_header("X-Frame-Options", "DENY")
        super().end_headers()

    def log_message(self, format, *args):  # quiet: the API logs what matters
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--directory", default="frontend")
    parser.add_argument("--api", default=None, help="the API's address, served as config.js's apiBase")
    args = parser.parse_args()
    handler = functools.partial(type("Configured", (Handler,), {"api_base": args.api}), directory=args.directory)
    with http.server.ThreadingHTTPServer((args.bind, args.port), handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
