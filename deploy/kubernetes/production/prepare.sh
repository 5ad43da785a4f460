#!/bin/sh
# Fills what kustomization.yaml generates Secrets and a ConfigMap from (all gitignored):
#   secrets/principal/principal.key, .pub  the gateway's principal key pair
#   secrets/tokens/principal.key           people's token signing key
#   secrets/people.env                     PORTAL_NATIONAL_ID_KEY (made here), PORTAL_SMTP_PASSWORD
#   supergraph.graphql                     a copy of deploy/supergraph.graphql
# Existing keys are kept, so running it again changes nothing but the supergraph copy.
# Run with the workspace's Python: `uv run sh deploy/kubernetes/production/prepare.sh`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python}

"$python" -m portal_kit.keys "$here/secrets/principal"
"$python" -m portal_kit.keys "$here/secrets/tokens"
if [ ! -f "$here/secrets/people.env" ]; then
    umask 077
    national_id_key=$("$python" -c \
        'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')
    printf "PORTAL_NATIONAL_ID_KEY=%s\n# PORTAL_SMTP_PASSWORD=\n" "$national_id_key" \
        > "$here/secrets/people.env"
    echo "secrets/people.env: a new national ID key; keep a copy, stored IDs need it. Set PORTAL_SMTP_PASSWORD there if your relay wants one."
fi
cp "$here/../../supergraph.graphql" "$here/supergraph.graphql"
