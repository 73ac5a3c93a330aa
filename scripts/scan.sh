#!/usr/bin/env bash
# Security scanners for the test gate, run from the project's virtualenv.
#
#   scripts/scan.sh bandit            no finding of medium severity or higher in the repo's
#                                     Python; tests are left out (not deployed, loopback only)
#   scripts/scan.sh detect-secrets    no secret that .secrets.baseline does not list as reviewed
#   scripts/scan.sh secrets-baseline  rescan into .secrets.baseline, keeping the review labels;
#                                     review new entries with `detect-secrets audit` after it
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${VENV:-.venv}"
baseline=.secrets.baseline

# Tracked files, and new files git does not ignore (so the virtualenvs and node_modules are out).
scanned_files() {
  git ls-files --cached --others --exclude-standard | grep -vxF "$baseline"
}

case "${1:-}" in
  bandit)
    exec "$venv/bin/bandit" --quiet --recursive . \
      --exclude ./.venv,./.venv-infra,./node_modules,./tests --severity-level medium
    ;;
  detect-secrets)
    # The hook rewrites the baseline it is given when recorded line numbers have moved (and
    # exits 3), so it gets a copy. Moved lines are not new secrets: 3 passes.
    snapshot="$(mktemp)"
    trap 'rm -f "$snapshot"' EXIT
    cp "$baseline" "$snapshot"
    mapfile -t files < <(scanned_files)
    status=0
    "$venv/bin/detect-secrets-hook" --baseline "$snapshot" "${files[@]}" || status=$?
    if [ "$status" -eq 3 ]; then
      echo "no new secret; recorded line numbers moved (scripts/scan.sh secrets-baseline)"
      status=0
    elif [ "$status" -eq 0 ]; then
      echo "no new secret in ${#files[@]} files"
    fi
    exit "$status"
    ;;
  secrets-baseline)
    mapfile -t files < <(scanned_files)
    exec "$venv/bin/detect-secrets" scan --baseline "$baseline" "${files[@]}"
    ;;
  *)
    echo "usage: $0 bandit | detect-secrets | secrets-baseline" >&2
    exit 2
    ;;
esac
