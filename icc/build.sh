#!/usr/bin/env bash
# Rebuilds issue-builder-fogra39-tac300.icc from free characterization data (Debian packages
# icc-profiles-free and argyll). The committed profile was made with exactly this command.
set -euo pipefail
work=$(mktemp -d)
cp /usr/share/color/icc/FOGRA39L.ti3 "$work/"
(cd "$work" && colprof -v -qm -kr -l300 -L95 \
  -D "issue-builder coated FOGRA39 300% (from FOGRA39L.ti3)" \
  -C "Built with ArgyllCMS colprof from the FOGRA39L characterization data of Debian's icc-profiles-free (zlib licence)" \
  -A "issue-builder" FOGRA39L)
cp "$work/FOGRA39L.icc" "$(dirname "$0")/issue-builder-fogra39-tac300.icc"
rm -r "$work"
