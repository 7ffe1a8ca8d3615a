"""Train the Rasa model only when its inputs changed (fingerprint of config, domain, data, tokenizer)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.settings import REPO_ROOT

MODEL_NAME = "madoguchi"
RASA_VENV = REPO_ROOT / ".venv-rasa"


def rasa_inputs(root: Path = REPO_ROOT) -> list[Path]:
    files = [root / "config.yml", root / "domain.yml", root / "requirements-rasa.txt"]
    for folder in ("data", "bot/nlu"):
        files += sorted(p for p in (root / folder).rglob("*") if p.suffix in {".yml", ".yaml", ".py"})
    return [f for f in files if f.is_file()]


def fingerprint(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for path in rasa_inputs(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def model_path(model_dir: Path) -> Path:
    return model_dir / f"{MODEL_NAME}.tar.gz"


def is_current(model_dir: Path, root: Path = REPO_ROOT) -> bool:
    stamp = model_dir / f"{MODEL_NAME}.fingerprint"
    return (
        model_path(model_dir).exists() and stamp.exists() and stamp.read_text().strip() == fingerprint(root)
    )


def rasa_env(root: Path = REPO_ROOT) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(root),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def rasa_bin(root: Path = REPO_ROOT) -> Path:
    path = root / ".venv-rasa" / "bin" / "rasa"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `make setup` first (Rasa 実行環境が未インストールです)")
    return path


def train(model_dir: Path, force: bool = False, root: Path = REPO_ROOT) -> bool:
    """Returns True when it trained, False when the model was already current."""
    if not force and is_current(model_dir, root):
        return False
    model_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    cmd = [
        str(rasa_bin(root)),
        "train",
        "--fixed-model-name",
        MODEL_NAME,
        "--out",
        str(model_dir),
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        "data",
    ]
    print(f"Rasa を学習しています (training Rasa)… {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    subprocess.run(cmd, cwd=root, env=rasa_env(root), check=True)
    (model_dir / f"{MODEL_NAME}.fingerprint").write_text(fingerprint(root))
    print(f"学習完了 (trained) in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return True
