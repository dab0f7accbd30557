# Shared by the stubs (sourced, not run). Every stub records its call in $STUB_LOG as
# "CHANGE <cmd> <args>" (state-changing) or "READ <cmd> <args>", and keeps state in $STUB_STATE.
set -euo pipefail
: "${STUB_STATE:?STUB_STATE must point at the sandbox state dir}"
: "${STUB_LOG:?STUB_LOG must point at the call log}"
root="${LLMS_HOST_ROOT:?LLMS_HOST_ROOT must point at the sandbox root}"
snap_data="$root/var/snap/microk8s/current"
record() {
  local kind="$1"
  shift
  printf '%s %s\n' "$kind" "$*" >>"$STUB_LOG"
}
flag() { [ -e "$STUB_STATE/$1" ]; }
