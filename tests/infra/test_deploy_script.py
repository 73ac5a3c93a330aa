"""infra/deploy.sh, driven against a fake `az` that records every call it receives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.infra import _bicep

PRIMARY_APP = "func-askeve-dev-uks-abc123"
SECONDARY_APP = "func-askeve-dev-ukw-abc123"
ALL_SECRETS = "openai-api-key anthropic-api-key pseudonym-key teams-webhook-url smtp-password"
FAKE_WEBHOOK = "https://fake-workflow.invalid/hook?sig=not-a-real-signature"
FAKE_AZ = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$AZ_LOG"
case "$*" in
  "account show"*) printf 'Fake subscription\\t00000000-0000-0000-0000-000000000000\\n' ;;
  "group exists"*) echo true ;;
  "functionapp list-flexconsumption-locations"*) printf 'uksouth\\nukwest\\n' ;;
  "deployment group what-if"*) echo "Resource changes: 0 to create." ;;
  "deployment group create"*) ;;
  "deployment group show"*) cat "$FAKE_OUTPUTS" ;;
  "keyvault secret list"*) printf '%s\\n' $FAKE_SECRETS ;;
  "functionapp deployment source config-zip"*) ;;
  *) echo "fake az: unexpected call: $*" >&2; exit 2 ;;
esac
"""

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("bash", "jq", "zip")),
    reason="deploy.sh needs bash, jq and zip",
)


@dataclass(frozen=True, slots=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    calls: list[str]

    def index(self, fragment: str) -> int:
        return next(i for i, call in enumerate(self.calls) if fragment in call)

    def called(self, fragment: str) -> bool:
        return any(fragment in call for call in self.calls)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the deploy script and parameter files beside a minimal app."""
    root = tmp_path / "repo"
    (root / "infra" / "params").mkdir(parents=True)
    shutil.copy2(_bicep.INFRA / "deploy.sh", root / "infra" / "deploy.sh")
    shutil.copy2(_bicep.MAIN, root / "infra" / "main.bicep")
    for params in (_bicep.INFRA / "params").glob("*.json"):
        shutil.copy2(params, root / "infra" / "params" / params.name)
    (root / "host.json").write_text('{"version": "2.0"}\n', "utf-8")
    (root / "function_app.py").write_text("app = None\n", "utf-8")
    (root / "shared").mkdir()
    (root / "shared" / "__init__.py").write_text("", "utf-8")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "az").write_text(FAKE_AZ, "utf-8")
    (fake_bin / "curl").write_text("#!/usr/bin/env bash\nexit 0\n", "utf-8")
    for tool in fake_bin.iterdir():
        tool.chmod(0o755)
    outputs = {
        "functionAppNames": {"value": [PRIMARY_APP, SECONDARY_APP]},
        "keyVaultName": {"value": "kv-askeve-dev-fake"},
        "frontDoorHostName": {"value": "askeve-dev-fake.azurefd.net"},
    }
    (tmp_path / "outputs.json").write_text(json.dumps(outputs), "utf-8")
    return root


def _deploy(repo: Path, *args: str, secrets: str = ALL_SECRETS) -> Run:
    log = repo.parent / "az.log"
    log.touch()
    env = {
        "PATH": f"{repo.parent / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(repo.parent),
        "AZ_LOG": str(log),
        "FAKE_OUTPUTS": str(repo.parent / "outputs.json"),
        "FAKE_SECRETS": secrets,
        "ALERT_WEBHOOK_URL": FAKE_WEBHOOK,
    }
    done = subprocess.run(  # noqa: S603 - fixed argv, fake tools on PATH
        ["bash", str(repo / "infra" / "deploy.sh"), *args],  # noqa: S607
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    calls = log.read_text("utf-8").splitlines()
    return Run(done.returncode, done.stdout, done.stderr, calls)


def _use_real_addresses(repo: Path) -> None:
    prod = repo / "infra" / "params" / "prod.parameters.json"
    prod.write_text(prod.read_text("utf-8").replace("example.org", "charity.invalid"), "utf-8")


def test_what_if_then_create_then_publish(repo: Path) -> None:
    """The three steps run in order: what-if, create, then publish."""
    run = _deploy(repo, "-e", "dev", "-g", "rg-askeve-dev", "--yes")
    assert run.returncode == 0, run.stderr
    what_if = run.index("deployment group what-if")
    create = run.index("deployment group create")
    publish = run.index("config-zip")
    assert what_if < create < publish


def test_each_step_is_announced(repo: Path) -> None:
    """The script prints what it will do before each step, and the commands it runs."""
    run = _deploy(repo, "-e", "dev", "-g", "rg-askeve-dev", "--yes")
    for heading in ("==> What-if", "==> Create", f"==> Publishing to {PRIMARY_APP}"):
        assert heading in run.stdout
    assert "$ az deployment group create" in run.stdout


def test_secondary_region_is_published_first(repo: Path) -> None:
    """The primary restarts last, so Front Door always has an updated region to serve from."""
    run = _deploy(repo, "-e", "dev", "-g", "rg-askeve-dev", "--yes")
    published = [call.split("--name ")[1].split()[0] for call in run.calls if "config-zip" in call]
    assert published == [SECONDARY_APP, PRIMARY_APP]


def test_webhook_never_reaches_a_command_line(repo: Path) -> None:
    """The webhook URL goes to ARM in a parameters file, never in argv or the log."""
    run = _deploy(repo, "-e", "dev", "-g", "rg-askeve-dev", "--yes")
    assert FAKE_WEBHOOK not in "\n".join(run.calls)
    assert FAKE_WEBHOOK not in run.stdout + run.stderr
    assert "webhook.parameters.json" in run.calls[run.index("deployment group create")]


def test_what_if_only_applies_nothing(repo: Path) -> None:
    """--what-if-only stops before any change is made."""
    run = _deploy(repo, "-e", "dev", "-g", "rg-askeve-dev", "--what-if-only")
    assert run.returncode == 0, run.stderr
    assert run.called("deployment group what-if")
    assert not run.called("deployment group create")
    assert not run.called("config-zip")


def test_without_a_terminal_or_yes_nothing_is_applied(repo: Path) -> None:
    """A run that cannot ask for confirmation stops after the what-if."""
    run = _deploy(repo, "-e", "dev", "-g", "rg-askeve-dev")
    assert run.returncode != 0
    assert "--yes" in run.stderr
    assert not run.called("deployment group create")


def test_prod_refuses_placeholder_addresses(repo: Path) -> None:
    """Prod is not deployed while the parameter file still holds example.org addresses."""
    run = _deploy(repo, "-e", "prod", "-g", "rg-askeve-prod", "--yes")
    assert run.returncode != 0
    assert "example.org" in run.stderr
    assert not run.called("deployment group")


def test_prod_is_not_published_while_secrets_are_missing(repo: Path) -> None:
    """Missing Key Vault secrets stop a prod deployment before the app is published."""
    _use_real_addresses(repo)
    run = _deploy(repo, "-e", "prod", "-g", "rg-askeve-prod", "--yes", secrets="openai-api-key")
    assert run.returncode != 0
    assert "missing: anthropic-api-key" in run.stdout
    assert run.called("deployment group create")
    assert not run.called("config-zip")


def test_prod_with_every_secret_publishes(repo: Path) -> None:
    """With real addresses and every secret present, prod goes all the way through."""
    _use_real_addresses(repo)
    run = _deploy(repo, "-e", "prod", "-g", "rg-askeve-prod", "--yes")
    assert run.returncode == 0, run.stderr
    assert run.called("config-zip")
