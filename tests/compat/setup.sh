#!/usr/bin/env bash
# Creates the Python environments that tests/report_compat.rs reads report sets with:
#   tests/compat/.venv-pyarrow14  pyarrow 14 (requirements-pyarrow14.txt)
#   tests/compat/.venv-current    current pyarrow, pandas, DuckDB and polars (requirements-current.txt)
# Idempotent: an environment whose requirements have not changed is left as it is. Needs
# Python 3.9–3.12 with venv and pip (set PYTHON to choose one) and PyPI access the first time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"

"$python" - <<'PY' || { echo "setup.sh: $python is not Python 3.9-3.12 (pyarrow 14 has wheels for those); set PYTHON" >&2; exit 2; }
import sys
sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 12) else 1)
PY

for name in pyarrow14 current; do
  venv="$here/.venv-$name"
  req="$here/requirements-$name.txt"
  stamp="$venv/.callqa-requirements"
  if [[ -x "$venv/bin/python" && -f "$stamp" ]] && cmp -s "$req" "$stamp"; then
    echo "setup.sh: $venv is up to date"
    continue
  fi
  echo "setup.sh: creating $venv from $(basename "$req")"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$stamp"
done
