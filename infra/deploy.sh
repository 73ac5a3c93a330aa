#!/usr/bin/env bash
# Deploys one environment of the Ask Eve failover gateway in three steps:
#   1. what-if  shows what the Bicep would change; nothing is applied
#   2. create   applies infra/main.bicep (ARM deployments are declarative, so a re-run is a no-op)
#   3. publish  uploads the app to each regional Function App, secondary region first. Each
#               region is taken out of Front Door's rotation explicitly before its app
#               restarts (only while the other region is ready), smoke-tested through Front
#               Door pinned to it, and put back; probes alone would take over a minute to notice
# Every step prints what it is about to do, and the whole script is safe to run again.
#
# Usage: infra/deploy.sh -e dev|prod -g RESOURCE_GROUP [options]
#   -l, --location REGION  region of the resource group (uksouth or ukwest; default uksouth)
#   -y, --yes              apply without asking (CI); without it, the script asks after what-if
#       --what-if-only     stop after the what-if
#       --skip-publish     deploy the infrastructure but not the app
# The alert webhook (a Teams workflow URL, which embeds a signature) is read from the
# ALERT_WEBHOOK_URL environment variable and passed to ARM in a private temporary file, never
# on a command line. Every alert audience (nurse team, supervisor, operations) must have its
# e-mail address in the parameter file and its Teams webhook in Key Vault, or nothing is
# deployed. ROTATION_DRAIN_S (default 120) is how long a region is drained before publishing.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly SCRIPT_DIR REPO_ROOT
readonly TEMPLATE="${SCRIPT_DIR}/main.bicep"
# What the Functions host needs from the repository root; .funcignore keeps the rest out.
readonly APP_CONTENT=(host.json function_app.py requirements.txt shared orchestrators api config)
# Key Vault secrets the app settings reference; the operators set them (see infra/README.md).
readonly REQUIRED_SECRETS=(openai-api-key anthropic-api-key pseudonym-key smtp-password ack-link-key)
# One Teams webhook per alert audience. Without one, that audience's alerts reach nobody, so
# these stop every environment, not only prod.
readonly AUDIENCE_SECRETS=(teams-webhook-url supervisor-teams-webhook-url ops-teams-webhook-url)
readonly AUDIENCE_PARAMETERS=(alertEmail supervisorEmailTo opsAlertEmailTo)
readonly DRAIN_S="${ROTATION_DRAIN_S:-120}"

environment=""
resource_group=""
location="uksouth"
assume_yes=false
what_if_only=false
skip_publish=false
work_dir=""

say() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() {
  printf 'deploy.sh: %s\n' "$*" >&2
  exit 1
}

# Prints the command, then runs it, so the log shows exactly what was done.
run() {
  printf '    $'
  printf ' %q' "$@"
  printf '\n'
  "$@"
}

usage() {
  sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

cleanup() {
  if [[ -n "${work_dir}" ]]; then
    rm -rf -- "${work_dir}"
  fi
}

parse_args() {
  while (($# > 0)); do
    case "$1" in
      -e | --environment)
        environment="${2:-}"
        shift 2
        ;;
      -g | --resource-group)
        resource_group="${2:-}"
        shift 2
        ;;
      -l | --location)
        location="${2:-}"
        shift 2
        ;;
      -y | --yes)
        assume_yes=true
        shift
        ;;
      --what-if-only)
        what_if_only=true
        shift
        ;;
      --skip-publish)
        skip_publish=true
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
  done
  case "${environment}" in
    dev | prod) ;;
    *) die "-e must be dev or prod" ;;
  esac
  [[ -n "${resource_group}" ]] || die "-g RESOURCE_GROUP is required"
  case "${location}" in
    uksouth | ukwest) ;;
    *) die "-l must be uksouth or ukwest (UK data residency)" ;;
  esac
}

preflight() {
  say "Checking tools and the signed-in subscription"
  local tool
  for tool in az jq zip curl; do
    command -v "${tool}" >/dev/null || die "${tool} is required but not installed"
  done
  [[ -f "${params_file}" ]] || die "parameter file not found: ${params_file}"
  if [[ "${environment}" == "prod" ]] && grep -q 'example\.org' "${params_file}"; then
    die "${params_file} still has example.org addresses; set the real alert and SMTP addresses first"
  fi
  if [[ "${environment}" == "prod" ]] && grep -Eq '00000000-0000-0000-0000-000000000000|"(192\.0\.2|198\.51\.100|203\.0\.113)\.' "${params_file}"; then
    die "${params_file} still has placeholder ids or addresses; set operatorGroupId, entraClientId and botBackendAddresses first"
  fi
  local audience
  for audience in "${AUDIENCE_PARAMETERS[@]}"; do
    [[ -n "$(jq -r --arg p "${audience}" '.parameters[$p].value // empty' "${params_file}")" ]] ||
      die "${params_file} has no ${audience}: every alert audience needs a channel"
  done
  note "subscription: $(az account show --query '[name, id]' --output tsv | paste -sd ' ')"
  note "environment: ${environment}, resource group: ${resource_group} (${location})"
}

ensure_resource_group() {
  say "Ensuring resource group ${resource_group} exists in ${location} (no change if it does)"
  if [[ "$(az group exists --name "${resource_group}")" == "true" ]]; then
    note "already exists"
  else
    run az group create --name "${resource_group}" --location "${location}" \
      --tags application=askeve-failover-gateway "environment=${environment}" --output none
  fi
}

# Flex Consumption is not offered in every region; fail before ARM does, with a clear reason.
check_flex_regions() {
  local regions offered region
  regions="$(jq -r '(.parameters.regions.value // ["uksouth", "ukwest"])[]' "${params_file}")"
  say "Checking that Flex Consumption is offered in: $(paste -sd ' ' <<<"${regions}")"
  offered="$(az functionapp list-flexconsumption-locations --query '[].name' --output tsv |
    tr -d ' ' | tr '[:upper:]' '[:lower:]')"
  for region in ${regions}; do
    grep -qx "${region}" <<<"${offered}" ||
      die "Flex Consumption is not offered in ${region}; see infra/README.md (hosting plan)"
    note "${region}: offered"
  done
}

# Writes the alert webhook into a private parameters file, so it never appears in argv.
webhook_parameters() {
  webhook_args=()
  if [[ -z "${ALERT_WEBHOOK_URL:-}" ]]; then
    note "ALERT_WEBHOOK_URL is not set: alerts go to e-mail only"
    return
  fi
  local file="${work_dir}/webhook.parameters.json"
  (
    umask 077
    jq -n '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
            contentVersion: "1.0.0.0",
            parameters: {alertWebhookUrl: {value: env.ALERT_WEBHOOK_URL}}}' >"${file}"
  )
  webhook_args=(--parameters "@${file}")
}

what_if() {
  say "What-if: the changes ${deployment_name} would make (nothing is applied)"
  run az deployment group what-if --resource-group "${resource_group}" --name "${deployment_name}" \
    --template-file "${TEMPLATE}" --parameters "@${params_file}" "${webhook_args[@]}"
}

confirm() {
  if [[ "${assume_yes}" == "true" ]]; then
    return
  fi
  [[ -t 0 ]] || die "no terminal to confirm on; re-run with --yes to apply"
  local answer
  read -r -p "Apply these changes to ${resource_group}? [y/N] " answer
  [[ "${answer}" == "y" || "${answer}" == "Y" ]] || die "not applied"
}

create() {
  say "Create: applying ${deployment_name} (a re-run with no changes changes nothing)"
  run az deployment group create --resource-group "${resource_group}" --name "${deployment_name}" \
    --template-file "${TEMPLATE}" --parameters "@${params_file}" "${webhook_args[@]}" --output none
  az deployment group show --resource-group "${resource_group}" --name "${deployment_name}" \
    --query properties.outputs --output json >"${work_dir}/outputs.json"
}

output() {
  jq -r ".${1}.value | if type == \"array\" then .[] else . end" "${work_dir}/outputs.json"
}

secrets_in() {
  az keyvault secret list --vault-name "$1" --query '[].name' --output tsv ||
    die "cannot list secrets in $1: grant yourself Key Vault Reader on it"
}

# Dies unless every alert audience's webhook secret is in the vault.
check_audiences() {
  local vault="$1" present secret missing=()
  present="$(secrets_in "${vault}")"
  for secret in "${AUDIENCE_SECRETS[@]}"; do
    grep -qx "${secret}" <<<"${present}" || missing+=("${secret}")
  done
  if ((${#missing[@]} > 0)); then
    die "alert audiences without a channel: ${missing[*]} missing in ${vault} (infra/README.md); their alerts would reach nobody"
  fi
  note "every alert audience has its webhook in ${vault}"
}

# A re-deployment checks the audiences before changing anything; a first one (no vault yet)
# checks them after create, before publishing.
check_audiences_before() {
  local vault
  vault="$(az deployment group show --resource-group "${resource_group}" --name "${deployment_name}" \
    --query properties.outputs.keyVaultName.value --output tsv 2>/dev/null || true)"
  if [[ -z "${vault}" ]]; then
    note "no earlier deployment: the alert audiences are checked once the vault exists"
    return
  fi
  say "Checking the alert audiences' channels in ${vault} before changing anything"
  check_audiences "${vault}"
}

# Key Vault references to a missing secret resolve to the reference text itself, which the app
# would then send to a provider as its key; so prod does not publish until every secret exists.
check_secrets() {
  local vault present missing=() secret
  vault="$(output keyVaultName)"
  say "Checking that the app's Key Vault secrets exist in ${vault}"
  check_audiences "${vault}"
  present="$(secrets_in "${vault}")"
  for secret in "${REQUIRED_SECRETS[@]}"; do
    if grep -qx "${secret}" <<<"${present}"; then
      note "${secret}: present"
    else
      missing+=("${secret}")
    fi
  done
  if ((${#missing[@]} > 0)); then
    note "missing: ${missing[*]} (set them as infra/README.md describes)"
    [[ "${environment}" != "prod" ]] || die "prod is not published while secrets are missing"
  fi
}

package_app() {
  local package="${work_dir}/app.zip" item present=()
  for item in "${APP_CONTENT[@]}"; do
    [[ -e "${REPO_ROOT}/${item}" ]] && present+=("${item}")
  done
  say "Packaging the app: ${present[*]}" >&2
  (cd "${REPO_ROOT}" && zip -q -r "${package}" "${present[@]}" -x '*/__pycache__/*' '*.pyc') >&2
  printf '%s\n' "${package}"
}

# Whether a region answers /api/health/ready through Front Door, pinned to it by the header
# the rule set matches (x-askeve-region), within about five minutes.
region_ready() {
  local region="$1" host attempt
  host="$(output frontDoorHostName)"
  for attempt in $(seq 1 30); do
    if curl --fail --silent --show-error --max-time 10 --output /dev/null \
      --header "x-askeve-region: ${region}" "https://${host}/api/health/ready"; then
      note "${region} ready after ${attempt} attempt(s)"
      return 0
    fi
    sleep 10
  done
  return 1
}

set_origin() {
  local region="$1" state="$2"
  run az afd origin update --resource-group "${resource_group}" \
    --profile-name "$(output frontDoorProfileName)" \
    --origin-group-name "$(output frontDoorOriginGroupName)" \
    --origin-name "origin-${region}" --enabled-state "${state}" --output none
}

publish() {
  local package apps regions i app region other
  package="$(package_app)"
  mapfile -t apps < <(output functionAppNames)
  mapfile -t regions < <(output regions)
  # Secondary first: while the primary restarts, Front Door serves from an updated secondary.
  for ((i = ${#apps[@]} - 1; i >= 0; i--)); do
    app="${apps[i]}"
    region="${regions[i]}"
    if ((${#apps[@]} > 1)); then
      other="${regions[$(((i + 1) % ${#regions[@]}))]}"
      say "Taking ${region} out of rotation (${other} must be ready first)"
      region_ready "${other}" ||
        die "${other} is not ready, so ${region} stays in rotation; nothing was published to ${app}"
      set_origin "${region}" Disabled
      note "draining ${region} for ${DRAIN_S} s while Front Door's change propagates"
      sleep "${DRAIN_S}"
    fi
    say "Publishing to ${app} (remote build installs requirements.txt on Linux)"
    run az functionapp deployment source config-zip --resource-group "${resource_group}" \
      --name "${app}" --src "${package}" --build-remote true --output none
    say "Smoke test: ${region} through Front Door, pinned to it"
    region_ready "${region}" ||
      die "${region} is not ready after publishing; it stays out of rotation (see infra/README.md)"
    if ((${#apps[@]} > 1)); then
      say "Putting ${region} back into rotation"
      set_origin "${region}" Enabled
    fi
  done
}

smoke_test() {
  local host attempt
  host="$(output frontDoorHostName)"
  say "Checking https://${host}/api/health/ready through Front Door (new endpoints take minutes)"
  for attempt in $(seq 1 30); do
    if curl --fail --silent --show-error --max-time 10 --output /dev/null "https://${host}/api/health/ready"; then
      note "ready after ${attempt} attempt(s)"
      return
    fi
    sleep 10
  done
  die "https://${host}/api/health/ready did not answer 2xx within 5 minutes"
}

main() {
  parse_args "$@"
  params_file="${SCRIPT_DIR}/params/${environment}.parameters.json"
  deployment_name="askeve-${environment}"
  work_dir="$(mktemp -d)"
  trap cleanup EXIT

  preflight
  ensure_resource_group
  check_flex_regions
  webhook_parameters
  check_audiences_before
  what_if
  if [[ "${what_if_only}" == "true" ]]; then
    say "Stopping after what-if (--what-if-only)"
    return
  fi
  confirm
  create
  if [[ "${skip_publish}" == "true" ]]; then
    say "Not publishing the app (--skip-publish)"
    return
  fi
  check_secrets
  publish
  smoke_test
  say "Done: https://$(output frontDoorHostName)/"
}

main "$@"
