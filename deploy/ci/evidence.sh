# Sourced by the CI checks: keeps what they produce for the secrets sweep after the whole run
# (deploy/ci/secrets-sweep.sh). Both are no-ops unless MCPROXY_EVIDENCE_DIR is set, as .ci/run sets it.

# keep_evidence NAME < content: a log or audit text the sweep must find no credential in.
keep_evidence() {
  if [ -z "${MCPROXY_EVIDENCE_DIR:-}" ]; then cat > /dev/null; return 0; fi
  mkdir -p "$MCPROXY_EVIDENCE_DIR/files/ci"
  cat > "$MCPROXY_EVIDENCE_DIR/files/ci/$1"
}

# evidence_secret VALUE...: credentials this check used.
evidence_secret() {
  [ -n "${MCPROXY_EVIDENCE_DIR:-}" ] || return 0
  mkdir -p "$MCPROXY_EVIDENCE_DIR"
  printf '%s\n' "$@" >> "$MCPROXY_EVIDENCE_DIR/secrets-ci.txt"
}
