#!/usr/bin/env bash
# Per-call CPU, both backend sets and the OpenSSL floor, interleaved in one run, as one table.
#
#   benches/percall.sh            # 5 rounds
#   ROUNDS=9 benches/percall.sh
#
# Each round runs the percall bench with the default features (aws-lc-rs + rustls), then with
# `ring,native-tls`, then `openssl speed rsa2048` (one sign + one verify: the floor). CPU time on a
# shared or virtual machine is inflated by whatever else runs, never deflated, so the table shows the
# minimum over the rounds next to the median.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

cargo bench --bench percall --no-run >/dev/null 2>&1
cargo bench --bench percall --no-default-features --features ring,native-tls --no-run >/dev/null 2>&1

for round in $(seq "$rounds"); do
  echo "round $round/$rounds" >&2
  cargo bench -q --bench percall 2>/dev/null | sed 's/^/{"set":"aws-lc-rs + rustls","row":/; s/$/}/' >>"$out"
  cargo bench -q --bench percall --no-default-features --features ring,native-tls 2>/dev/null \
    | sed 's/^/{"set":"ring + native-tls","row":/; s/$/}/' >>"$out"
  if command -v openssl >/dev/null; then
    openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {
      printf "{\"set\":\"openssl\",\"row\":{\"name\":\"openssl speed rsa2048: sign + verify\",\"cpu_us_per_call\":%f}}\n", ($4 + $5) * 1e6 }' >>"$out"
  fi
done

python3 - "$out" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith('{"set"'):
        continue
    item = json.loads(line)
    name = item["row"]["name"]
    # The bare rows do not depend on the feature set: keep them once, from the default build.
    if name.startswith("bare") and item["set"] != "aws-lc-rs + rustls":
        continue
    key = name if name.startswith(("bare", "openssl")) else f'{name} [{item["set"]}]'
    rows.setdefault(key, []).append(item["row"]["cpu_us_per_call"])
floor = min(rows.get("openssl speed rsa2048: sign + verify", [float("nan")]))
bare = {"aws-lc-rs + rustls": min(rows.get("bare aws-lc-rs sign + verify", [float("nan")])),
        "ring + native-tls": min(rows.get("bare ring sign + verify", [float("nan")]))}
print(f"| measurement | min µs | median µs | × OpenSSL floor | × bare RSA of its backend |")
print(f"| --- | ---: | ---: | ---: | ---: |")
for key, values in rows.items():
    low, mid = min(values), statistics.median(values)
    own = next((b for s, b in bare.items() if f"[{s}]" in key and key.startswith("sdk")), None)
    own_ratio = f"{low / own:.2f}" if own else ""
    print(f"| {key} | {low:.0f} | {mid:.0f} | {low / floor:.2f} | {own_ratio} |")
print(f"\n{len(next(iter(rows.values())))} rounds; CPU per call = process user + system time / calls.")
PY
