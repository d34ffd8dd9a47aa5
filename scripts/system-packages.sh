#!/usr/bin/env bash
# What `make run` and `make test` need from the system, so that they are the whole set-up.
# Installs the missing Debian packages (as root, with apt; otherwise prints the command and
# fails), and for `make test` starts the local PostgreSQL and lets the tests' role in. It runs
# before every `make run` and `make test`: when nothing is missing it is silent and quick
# (no apt, no network).
#
#   scripts/system-packages.sh run   Python's venv module, Node.js and npm, Pango and DejaVu
#                                    fonts for WeasyPrint (the billing views import it)
#   scripts/system-packages.sh test  the same, Debian's Chromium for the browser tests, Redis
#                                    (the task queue's test starts its own server), and
#                                    PostgreSQL when DATABASE_URL names this machine
#   scripts/system-packages.sh cluster  run's, PostgreSQL as for test, HAProxy and Redis
#                                    (`make cluster`, `make load-cluster`: load/cluster.py)
#   scripts/system-packages.sh bench run's, PostgreSQL as for test, wrk and curl (`make
#                                    bench` serves pages to wrk: bench/run.py)
set -euo pipefail

mode=${1:-}
case $mode in
  run | test | cluster | bench) ;;
  *) echo "usage: $0 run|test|cluster|bench" >&2; exit 2 ;;
esac
python=${PYTHON:-python3.11}
# `make test`'s default. Only a passwordless URL on this machine is ours to set up: a server
# elsewhere, or one reached with a password, belongs to whoever configured it.
database_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/area_clienti}
PATH=$PATH:/usr/sbin:/sbin # ldconfig and runuser, for users whose PATH lacks them

root=false sudo=""
if [ "$(id -u)" = 0 ]; then
  root=true
elif command -v sudo >/dev/null; then
  sudo="sudo " # in the commands printed for a user to run
fi

fail() {
  printf '%b\n' "$*" >&2
  exit 1
}

local_postgres=false
if [[ $mode == test || $mode == cluster || $mode == bench ]] &&
  [[ $database_url =~ ^postgres(ql)?://([A-Za-z_][A-Za-z0-9_]*)@127\.0\.0\.1(:([0-9]+))?/ ]]; then
  local_postgres=true pg_user=${BASH_REMATCH[2]} pg_port=${BASH_REMATCH[4]:-5432}
fi

missing=()
command -v make >/dev/null || missing+=(make)
# Debian ships ensurepip, without which `python3.11 -m venv` fails, in python3.11-venv.
"$python" -c 'import ensurepip' 2>/dev/null || missing+=("${python##*/}-venv")
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
# Not `grep -q`: it would stop reading, and pipefail would count ldconfig's SIGPIPE as absent.
ldconfig -p | grep 'libpangoft2-1\.0\.so\.0' >/dev/null || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ "$mode" = test ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium) # the path tests/browser/conftest.py launches
fi
if [[ $mode == test || $mode == cluster ]]; then
  command -v redis-server >/dev/null || missing+=(redis-server)
fi
if [ "$mode" = cluster ]; then
  command -v haproxy >/dev/null || missing+=(haproxy)
fi
if [ "$mode" = bench ]; then
  command -v wrk >/dev/null || missing+=(wrk)
  command -v curl >/dev/null || missing+=(curl)
fi
if $local_postgres && ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  missing+=(postgresql)
fi

if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null ||
    fail "make $mode needs: ${missing[*]} (Debian's names). Install them with the system's package manager."
  install="apt-get install -y --no-install-recommends ${missing[*]}"
  $root || fail "make $mode needs these system packages: ${missing[*]}. Install them as root:\n" \
    " ${sudo}apt-get update && $sudo$install"
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's packages start their system service once installed (redis-server on 6379): the
  # tests and the cluster start their own servers, and this script PostgreSQL. A policy-rc.d
  # answering 101 ("not allowed") keeps them from starting; it lasts this install only.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e $policy ]; then
    trap 'rm -f $policy' EXIT
    printf '#!/bin/sh\nexit 101\n' >$policy
    chmod +x $policy
  fi
  apt-get update -qq
  $install -qq >/dev/null
fi

$local_postgres || exit 0

if ! pg_isready -q -h 127.0.0.1 -p "$pg_port"; then
  cluster=$(pg_lsclusters --no-header | awk -v port="$pg_port" '$3 == port { print $1, $2; exit }')
  [ -n "$cluster" ] || fail "No PostgreSQL cluster listens on port $pg_port (see pg_lsclusters)."
  start="pg_ctlcluster --skip-systemctl-redirect $cluster start"
  $root || fail "PostgreSQL does not answer on 127.0.0.1:$pg_port. Start it as root:\n  $sudo$start"
  $start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p "$pg_port" && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 -p "$pg_port" ||
    fail "PostgreSQL ($cluster) did not answer on 127.0.0.1:$pg_port within 30 s."
fi

# pytest-django connects as the URL's role, without a password, and creates the test database.
role_can_create_databases() {
  [ "$(psql -w -X -A -t -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres \
    -c 'SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user' 2>/dev/null)" = t ]
}
role_can_create_databases && exit 0
$root || fail "The tests need to connect to PostgreSQL on 127.0.0.1:$pg_port as $pg_user without a" \
  "password and to create databases, and cannot. To create the role and let it in from" \
  "127.0.0.1 (trust, in pg_hba.conf), run as root:\n  ${sudo}env DATABASE_URL=$database_url bash $0 $mode"

# As the postgres superuser, through the local socket (Debian's peer authentication).
as_postgres() { (cd / && runuser -u postgres -- psql -X -q -A -t -p "$pg_port" -d postgres -v ON_ERROR_STOP=1 "$@"); }
as_postgres -v role="$pg_user" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB', :'role') \gexec
SQL
if ! role_can_create_databases; then
  hba=$(as_postgres -c 'SHOW hba_file')
  # Only this role, only from this machine, and once: a second run finds the line.
  trust="host all $pg_user 127.0.0.1/32 trust  # make test's role (scripts/system-packages.sh)"
  grep -qxF "$trust" "$hba" || sed -i "1i $trust" "$hba"
  as_postgres -c 'SELECT pg_reload_conf()' >/dev/null
fi
role_can_create_databases ||
  fail "PostgreSQL on 127.0.0.1:$pg_port still refuses $pg_user without a password: see its pg_hba.conf."
echo "PostgreSQL on 127.0.0.1:$pg_port: $pg_user connects without a password and may create databases."
