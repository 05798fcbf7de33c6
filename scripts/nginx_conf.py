"""docker/nginx.conf, pointed at local ports: what `make run`, the tests and the benchmarks
start nginx with. Only addresses and folders change; every rule is the compose file's own.

    python scripts/nginx_conf.py --upstream 127.0.0.1:8001 --listen 8000 --listen 8080 \
        --root frontend --workdir var/nginx > var/nginx/nginx.conf
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "docker" / "nginx.conf"
MIME_TYPES = "/etc/nginx/mime.types"


def health_of(upstream: str) -> str:
    """Where an API server's master answers health (backend/health/watch.health_bind's rule)."""
    if upstream.startswith("unix:"):
        return upstream + ".health"
    host, _, port = upstream.rpartition(":")
    return f"{host}:{int(port) + 1}"


def local_config(upstreams: list[str], listens: list[int], root: Path, workdir: Path) -> str:
    """The compose nginx.conf with these upstream servers and ports, serving `root`, keeping
    its temporary files, pid and error log in `workdir`."""
    conf = TEMPLATE.read_text()
    upstream = re.search(r"^(\s*)server api:8000(.*);$", conf, re.M)
    indent, options = upstream.group(1), upstream.group(2)
    conf = conf.replace(upstream.group(0), "\n".join(f"{indent}server {u}{options};" for u in upstreams))
    health = re.search(r"^(\s*)server api:8001(.*);$", conf, re.M)
    conf = conf.replace(
        health.group(0), "\n".join(f"{health.group(1)}server {health_of(u)}{health.group(2)};" for u in upstreams)
    )
    listen = re.search(r"^(\s*)listen 80;$", conf, re.M)
    conf = conf.replace(listen.group(0), "\n".join(f"{listen.group(1)}listen 127.0.0.1:{p};" for p in listens))
    conf = conf.replace("root /usr/share/nginx/html;", f"root {Path(root).resolve()};")
    conf = conf.replace("include mime.types;", f"include {MIME_TYPES};")
    temp = "\n".join(
        f"    {kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = conf.replace("http {\n", f"http {{\n{temp}\n", 1)
    head = f"pid {workdir / 'nginx.pid'};\nerror_log {workdir / 'error.log'} warn;\n"
    if os.geteuid() == 0:  # workers would otherwise drop to `nobody`, who cannot read our folders
        head += f"user {getpass.getuser()};\n"
    return head + conf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", action="append", required=True, help="host:port of an API server")
    parser.add_argument("--listen", action="append", type=int, required=True, help="a loopback port to serve on")
    parser.add_argument("--root", default=str(ROOT / "frontend"))
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    print(local_config(args.upstream, args.listen, Path(args.root), workdir))


if __name__ == "__main__":
    main()
