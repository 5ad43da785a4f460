"""`python -m portal_kit.keys DIR`: write the gateway's principal key pair if it is missing."""

from __future__ import annotations

import sys
from pathlib import Path

from portal_kit.principal import generate_key_pair

PRIVATE_FILE = "principal.key"
PUBLIC_FILE = "principal.pub"


def ensure_key_pair(directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE_FILE, directory / PUBLIC_FILE
    if not (private_path.exists() and public_path.exists()):
        private_pem, public_pem = generate_key_pair()
        private_path.write_bytes(private_pem)
        private_path.chmod(0o600)
        public_path.write_bytes(public_pem)
    return private_path, public_path


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m portal_kit.keys DIRECTORY", file=sys.stderr)
        return 2
    private_path, public_path = ensure_key_pair(Path(argv[0]))
    print(f"principal keys: {private_path} {public_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
