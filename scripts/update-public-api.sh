#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to the project's
# PublicAPI.Unshipped.txt, and removes symbols reported as no longer present (RS0017).
# Review the diff: it is the public API change. Usage: scripts/update-public-api.sh [project...]
set -euo pipefail
cd "$(dirname "$0")/.."
projects=("${@:-Lsm.Engine Lsm.StateBackend}")
for project in ${projects[@]}; do
  file="$project/PublicAPI.Unshipped.txt"
  out=$(dotnet build "$project/$project.csproj" --no-incremental -p:TreatWarningsAsErrors=false 2>&1 || true)
  added=$(printf '%s\n' "$out" | grep -o "RS0016: Symbol '.*' is not part of the declared" | sed -E "s/^RS0016: Symbol '(.*)' is not part of the declared$/\1/" | sort -u || true)
  removed=$(printf '%s\n' "$out" | grep -o "RS0017: Symbol '.*' is part of the declared" | sed -E "s/^RS0017: Symbol '(.*)' is part of the declared$/\1/" | sort -u || true)
  if [ -n "$removed" ]; then
    while IFS= read -r sym; do grep -vxF -- "$sym" "$file" > "$file.tmp" || true; mv "$file.tmp" "$file"; done <<< "$removed"
  fi
  if [ -n "$added" ]; then printf '%s\n' "$added" >> "$file"; fi
  { head -n1 "$file"; tail -n +2 "$file" | sort -u; } > "$file.tmp" && mv "$file.tmp" "$file"
  echo "$project: $(printf '%s' "$added" | grep -c . || true) added, $(printf '%s' "$removed" | grep -c . || true) removed"
done
