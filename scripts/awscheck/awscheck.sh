#!/usr/bin/env bash
# awscheck.sh TARGET PROFILE: what make bootstrap, deploy, diff, destroy, training-set,
# protect and smoke check before they synthesize or touch anything. Each
# refusal is one line on stderr and exit code 2.
#   - An endpoint override (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>,
#     e.g. from make local's export line) sends the CDK CLI and the SDK to
#     that endpoint instead of AWS: refused for every profile but local.
#   - No credentials at all: say what to set.
#   - AWS_PROFILE naming a profile that neither ~/.aws/config nor
#     ~/.aws/credentials has: say so before a 20 s synth ends in the CDK's
#     generic "Unable to resolve AWS account".
set -u
target=${1:?target} profile=${2:?profile}

if [ "$profile" != local ]; then
  overrides=$(env | grep -oE '^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?=' | tr -d '=' | sort | tr '\n' ' ')
  if [ -n "$overrides" ]; then
    echo "make $target: ${overrides% } set, so the CDK CLI and the AWS SDK would talk to that endpoint (the local emulator?), not AWS: unset ${overrides% } in this shell for PROFILE=$profile" >&2
    exit 2
  fi
fi

config=${AWS_CONFIG_FILE:-$HOME/.aws/config}
credentials=${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}
if [ -z "${AWS_ACCESS_KEY_ID:-}${AWS_PROFILE:-}${AWS_SESSION_TOKEN:-}${AWS_WEB_IDENTITY_TOKEN_FILE:-}${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}${AWS_ENDPOINT_URL:-}" ] && [ ! -f "$credentials" ] && [ ! -f "$config" ]; then
  echo "make $target: no AWS credentials found: set AWS_PROFILE (e.g. after aws sso login --profile NAME), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary ones), then run it again" >&2
  exit 2
fi

if [ -n "${AWS_PROFILE:-}" ]; then
  # config names profiles [profile NAME] (and [default]); credentials [NAME].
  name=$AWS_PROFILE
  found=
  if [ -f "$config" ] && grep -qE "^[[:space:]]*\[(profile[[:space:]]+)?${name//./\\.}[[:space:]]*\]" "$config"; then found=1; fi
  if [ -f "$credentials" ] && grep -qE "^[[:space:]]*\[${name//./\\.}[[:space:]]*\]" "$credentials"; then found=1; fi
  if [ -z "$found" ]; then
    echo "make $target: AWS_PROFILE=$name is not a profile in $config or $credentials: pick one of aws configure list-profiles, or create it (aws configure sso --profile $name)" >&2
    exit 2
  fi
fi
exit 0
