#!/usr/bin/env bash
# The suite-wide secrets check: after every test stage has run, greps every log and audit file the stages kept in
# the evidence folder for every credential they listed (static tokens, JWTs, wrong and forged ones, each JWT's
# signature on its own too). Expects zero matches; an empty list or an empty folder fails too, so the check can't
# pass by having looked at nothing. Usage: secrets-sweep.sh <evidence-dir>
set -euo pipefail
dir=${1:?usage: secrets-sweep.sh <evidence-dir>}
patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
cat "$dir"/secrets-*.txt 2>/dev/null | awk 'length($0) >= 8' | sort -u > "$patterns" || true
# A JWT's signature alone is as secret as the whole token (header and claims are not).
awk -F. 'NF == 3 && length($3) >= 16 { print $3 }' "$patterns" | sort -u >> "$patterns"
secrets=$(sort -u "$patterns" | wc -l)
mapfile -t files < <(find "$dir" -type f ! -name 'secrets-*.txt')
bytes=$(cat "${files[@]}" /dev/null | wc -c)
echo "secrets sweep: $secrets credentials against ${#files[@]} kept files ($((bytes / 1024)) KiB)"
[ "$secrets" -gt 0 ] || { echo "secrets sweep: no credentials were listed: the suites did not record what they used"; exit 1; }
[ "${#files[@]}" -gt 0 ] || { echo "secrets sweep: no log or audit files were kept"; exit 1; }
found=0
while IFS= read -r secret; do
  if hits=$(grep -rlF -- "$secret" "${files[@]}"); then
    found=$((found + 1))
    # Name the credential by its first characters and length only: this output is a log too.
    echo "secrets sweep: a credential (${secret:0:4}…, ${#secret} chars) appears in:"; echo "$hits" | sed 's/^/  /'
  fi
done < <(sort -u "$patterns")
[ "$found" -eq 0 ] || { echo "secrets sweep: $found credentials reached a log or audit file"; exit 1; }
echo "secrets sweep: 0 matches"
