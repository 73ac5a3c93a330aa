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
AUDIENCE_SECRETS = "teams-webhook-url supervisor-teams-webhook-url ops-teams-webhook-url"
ALL_SECRETS = (
    f"openai-api-key anthropic-api-key pseudonym-key smtp-password ack-link-key {AUDIENCE_SECRETS}"
)
FAKE_WEBHOOK = "https://fake-workflow.invalid/hook?sig=not-a-real-signature"
FAKE_AZ = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$AZ_LOG"
case "$*" in
  "account show"*) printf 'Fake subscription\\t00000000-0000-0000-0000-000000000000\\n' ;;
  "group exists"*) echo true ;;
  "functionapp list-flexconsumption-locations"*) printf 'uksouth\\nukwest\\n' ;;
  "deployment group what-if"*) echo "Resource changes: 0 to create." ;;
  "deployment group create"*) ;;
  "deployment group show"*"keyVaultName"*) printf '%s\n' "$FAKE_EARLIER_VAULT" ;;
  "deployment group show"*) cat "$FAKE_OUTPUTS" ;;
  "afd origin update"*) ;;
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
    (fake_bin / "curl").write_text(
        '#!/usr/bin/env bash\nprintf \'curl %s\\n\' "$*" >> "$AZ_LOG"\nexit 0\n', "utf-8"
    )
    for tool in fake_bin.iterdir():
        tool.chmod(0o755)
    outputs = {
        "functionAppNames": {"value": [PRIMARY_APP, SECONDARY_APP]},
        "keyVaultName": {"value": "kv-askeve-dev-fake"},
        "frontDoorHostName": {"value": "askeve-dev-fake.azurefd.net"},
        "frontDoorProfileName": {"value": "afd-askeve-dev"},
        "frontDoorOriginGroupName": {"value": "gateway-regions"},
        "regions": {"value": ["uksouth", "ukwest"]},
    }
    (tmp_path / "outputs.json").write_text(json.dumps(outputs), "utf-8")
    return root


def _deploy(repo: Path, *args: str, secrets: str = ALL_SECRETS, earlier_vault: str = "") -> Run:
    log = repo.parent / "az.log"
    log.touch()
    env = {
        "PATH": f"{repo.parent / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(repo.parent),
        "AZ_LOG": str(log),
        "FAKE_OUTPUTS": str(repo.parent / "outputs.json"),
        "FAKE_SECRETS": secrets,
        "ALERT_WEBHOOK_URL": FAKE_WEBHOOK,
        "FAKE_EARLIER_VAULT": earlier_vault,
        "ROTATION_DRAIN_S": "0",
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
    text = prod.read_text("utf-8").replace("example.org", "charity.invalid")
    text = text.replace(
        "00000000-0000-0000-0000-000000000000", "5e1c2f3a-9b7d-4c2e-8f1a-3d6b9e0c4a71"
    )
    prod.write_text(text.replace("192.0.2.10/32", "20.26.1.10/32"), "utf-8")


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
    run = _deploy(
        repo,
        "-e",
        "prod",
        "-g",
        "rg-askeve-prod",
        "--yes",
        secrets=f"openai-api-key {AUDIENCE_SECRETS}",
    )
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


def test_prod_refuses_placeholder_ids_and_addresses(repo: Path) -> None:
    """Prod is not deployed while the operators group or the bot's addresses are placeholders."""
    prod = repo / "infra" / "params" / "prod.parameters.json"
    prod.write_text(prod.read_text("utf-8").replace("example.org", "charity.invalid"), "utf-8")
    run = _deploy(repo, "-e", "prod", "-g", "rg-askeve-prod", "--yes")
    assert run.returncode != 0
    assert "operatorGroupId" in run.stderr
    assert not run.called("deployment group")


@pytest.mark.parametrize("audience", ["alertEmail", "supervisorEmailTo", "opsAlertEmailTo"])
def test_an_audience_without_an_address_stops_any_environment(repo: Path, audience: str) -> None:
    """A parameter file without an audience's e-mail address deploys nothing, even in dev."""
    dev = repo / "infra" / "params" / "dev.parameters.json"
    document = json.loads(dev.read_text("utf-8"))
    del document["parameters"][audience]
    dev.write_text(json.dumps(document), "utf-8")
    run = _deploy(repo, "-e", "dev", "-g", "rg-askeve-dev", "--yes")
    assert run.returncode != 0
    assert audience in run.stderr
    assert not run.called("deployment group")


def test_a_missing_audience_webhook_stops_a_redeployment_before_any_change(repo: Path) -> None:
    """With a vault from an earlier run lacking the supervisor's webhook, nothing is changed."""
    run = _deploy(
        repo,
        *("-e", "dev", "-g", "rg-askeve-dev", "--yes"),
        secrets=ALL_SECRETS.replace("supervisor-teams-webhook-url", ""),
        earlier_vault="kv-askeve-dev-fake",
    )
    assert run.returncode != 0
    assert "supervisor-teams-webhook-url" in run.stderr
    assert not run.called("deployment group what-if")
    assert not run.called("deployment group create")


def test_a_missing_audience_webhook_stops_a_first_deployment_before_publishing(
    repo: Path,
) -> None:
    """On a first deployment (no vault before), the webhooks are checked before publishing."""
    run = _deploy(
        repo,
        *("-e", "dev", "-g", "rg-askeve-dev", "--yes"),
        secrets=ALL_SECRETS.replace("ops-teams-webhook-url", ""),
    )
    assert run.returncode != 0
    assert "ops-teams-webhook-url" in run.stderr
    assert run.called("deployment group create")
    assert not run.called("config-zip")


def test_each_region_leaves_rotation_while_it_is_published(repo: Path) -> None:
    """Per region: the other region is checked ready, this origin is disabled, the app is
    published, this region is smoke-tested through Front Door pinned to it, then re-enabled."""
    run = _deploy(repo, "-e", "dev", "-g", "rg-askeve-dev", "--yes")
    assert run.returncode == 0, run.stderr
    steps = [
        call
        for call in run.calls
        if "afd origin update" in call or "config-zip" in call or "x-askeve-region" in call
    ]

    def step(call: str) -> str:
        if "config-zip" in call:
            return "publish " + call.split("--name ")[1].split(maxsplit=1)[0]
        if "afd origin update" in call:
            origin = call.split("--origin-name ")[1].split(maxsplit=1)[0]
            return f"{call.split('--enabled-state ')[1].split(maxsplit=1)[0]} {origin}"
        return "ready " + call.split("x-askeve-region: ")[1].split(maxsplit=1)[0]

    assert [step(c) for c in steps] == [
        "ready uksouth",
        "Disabled origin-ukwest",
        f"publish {SECONDARY_APP}",
        "ready ukwest",
        "Enabled origin-ukwest",
        "ready ukwest",
        "Disabled origin-uksouth",
        f"publish {PRIMARY_APP}",
        "ready uksouth",
        "Enabled origin-uksouth",
    ]


def test_the_final_smoke_test_probes_readiness(repo: Path) -> None:
    """After publishing, the script checks /api/health/ready through Front Door."""
    run = _deploy(repo, "-e", "dev", "-g", "rg-askeve-dev", "--yes")
    assert run.calls[-1].startswith("curl")
    assert run.calls[-1].endswith("https://askeve-dev-fake.azurefd.net/api/health/ready")
