#!/usr/bin/env bash
# The release step (Procfile `release`, systemd workspace-release.service, compose
# `release`): once per deploy, before new web processes start. Each periodic command
# schedules its job only if none is queued, so running this twice is harmless.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python}
"$python" manage.py migrate --no-input
"$python" manage.py collectstatic --no-input
"$python" manage.py prune_live_events --every 3600
"$python" manage.py rescore_clients --every 86400
"$python" manage.py poll_mail --every
"$python" manage.py automation_clock --every 60
