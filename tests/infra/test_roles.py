"""Role assignments are the least the app needs, on the narrowest scope that works."""

from __future__ import annotations

from tests.infra import _bicep

MODULES = _bicep.INFRA / "modules"
TABLE_DATA_CONTRIBUTOR = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",  # Owner
    "b24988ac-6180-42a0-ab88-20f7382dd24c",  # Contributor
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",  # User Access Administrator
    "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68",  # Cognitive Services Contributor
    "17d1049b-9a84-46fb-8f53-869881c3d3ab",  # Storage Account Contributor
}


def _assignments(module_file: str) -> dict[str, _bicep.Resource]:
    path = MODULES / module_file
    return {
        r.name: r
        for r in _bicep.resources("Microsoft.Authorization/roleAssignments")
        if r.path == path
    }


def test_storage_roles_are_data_plane_only() -> None:
    """Tables, queues and blobs for Durable and the host; no management-plane role."""
    roles = _bicep.variable(MODULES / "access-storage.bicep", "roleIds")
    assert set(roles) == {TABLE_DATA_CONTRIBUTOR, QUEUE_DATA_CONTRIBUTOR, BLOB_DATA_OWNER}
    assert _assignments("access-storage.bicep")["grants"].body["scope"] == "account"


def test_key_vault_reader_role_is_secrets_user() -> None:
    """The app may read secrets (for Key Vault references) and nothing more, vault-wide."""
    path = MODULES / "access-keyvault.bicep"
    assert _bicep.variable(path, "secretsUserRoleId") == SECRETS_USER
    read = _assignments("access-keyvault.bicep")["readSecrets"]
    assert read.body["scope"] == "vault"


def test_secrets_officer_is_scoped_to_the_rotated_secret() -> None:
    """Rotation may write the Azure OpenAI key copy only, and only where rotation runs."""
    path = MODULES / "access-keyvault.bicep"
    assert _bicep.variable(path, "secretsOfficerRoleId") == SECRETS_OFFICER
    raw = _bicep.parse(path)["resources"]["writeRotatedSecret"]["config"]
    assert raw["condition"] == "grantRotation"
    assert raw["config"]["scope"] == "rotatedSecret"


def test_openai_roles_are_user_and_key_rotator() -> None:
    """Inference as OpenAI User; key regeneration through the narrow custom role, if rotating."""
    path = MODULES / "access-openai.bicep"
    assert _bicep.variable(path, "openAiUserRoleId") == OPENAI_USER
    raw = _bicep.parse(path)["resources"]["rotateKeys"]["config"]
    assert raw["condition"] == "grantRotation"
    assert raw["config"]["properties"]["roleDefinitionId"] == "rotatorRoleDefinitionId"


def test_key_rotator_role_can_only_read_list_and_regenerate_keys() -> None:
    """The custom role reads accounts, lists and regenerates keys, and nothing else."""
    (role,) = _bicep.resources("Microsoft.Authorization/roleDefinitions")
    (permissions,) = role.body["properties"]["permissions"]
    assert permissions["actions"] == [
        "Microsoft.CognitiveServices/accounts/read",
        "Microsoft.CognitiveServices/accounts/regenerateKey/action",
        "Microsoft.CognitiveServices/accounts/listKeys/action",
    ]
    assert permissions["dataActions"] == []


def test_no_broad_built_in_role_is_assigned() -> None:
    """No Owner, Contributor or similar management role appears anywhere."""
    for path in _bicep.bicep_files():
        text = path.read_text("utf-8")
        assert not [role for role in BROAD_ROLES if role in text], _bicep.relative(path)


def test_each_openai_account_has_one_rotating_region() -> None:
    """Two regions rotating one account's key would race and leave a stale copy in Key Vault."""
    rotation = _bicep.module("regionStacks").params["runsSecretRotation"]["operator"]
    assert rotation["type"] == "or"
    own = rotation["operands"]["operand_1"]["operator"]
    assert own["type"] == "equals"
    assert own["operands"]["operand_2"] == "region"
    fallback = rotation["operands"]["operand_2"]["operator"]["operands"]["operand_1"]
    assert fallback["operator"]["operands"] == {"operand_1": "i", "operand_2": 0}
