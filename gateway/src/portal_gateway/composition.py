"""Compose the supergraph of our four subgraphs with the Node composition step.

    uv run python -m portal_gateway.composition            # writes deploy/supergraph.graphql
    uv run python -m portal_gateway.composition --check    # exit 1 when the file is stale

Needs `npm ci --prefix deploy/supergraph` once (@theguild/federation-composition).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from portal_gateway.subgraph_sdl import SUBGRAPHS, subgraph_sdl

ROOT = Path(__file__).resolve().parents[3]
COMPOSER = ROOT / "deploy" / "supergraph" / "compose.mjs"
SUPERGRAPH = ROOT / "deploy" / "supergraph.graphql"


class CompositionFailed(Exception):
    pass


def compose(subgraphs: list[dict[str, str]], composer: Path = COMPOSER) -> str:
    """The supergraph SDL of `[{"name", "url", "sdl"}]`, composed by Node."""
    if not (composer.parent / "node_modules" / "@theguild").is_dir():
        raise CompositionFailed(
            f"the composition library is not installed: npm ci --prefix {composer.parent}"
        )
    result = subprocess.run(
        ["node", str(composer)],
        input=orjson.dumps(subgraphs),
        capture_output=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise CompositionFailed(result.stderr.decode(errors="replace").strip())
    return result.stdout.decode()


def our_subgraphs() -> list[dict[str, str]]:
    return [
        {"name": name, "url": url, "sdl": subgraph_sdl(name)} for name, url in SUBGRAPHS.items()
    ]


def main() -> None:
    try:
        supergraph = compose(our_subgraphs())
    except CompositionFailed as error:
        print(error, file=sys.stderr)
        raise SystemExit(1) from None
    if "--check" in sys.argv[1:]:
        if not SUPERGRAPH.is_file() or SUPERGRAPH.read_text(encoding="utf-8") != supergraph:
            print(f"{SUPERGRAPH} is stale: run `make supergraph`", file=sys.stderr)
            raise SystemExit(1)
        return
    SUPERGRAPH.write_text(supergraph, encoding="utf-8")
    print(f"wrote {SUPERGRAPH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
