# Shared by Scripts/*.sh: system packages, a private PostgreSQL cluster, the build.
# Source it; it defines functions and sets nothing else but ROOT and PG_BIN.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root, through sudo when we are not root.
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages the scripts use, if any is missing. Idempotent and quiet when all are there.
ensure_packages() {
    local wanted=(postgresql postgresql-contrib libpq-dev zlib1g-dev pkg-config curl ca-certificates procps util-linux python3 libqrencode-dev libgmp-dev jq "$@")
    local missing=()
    for package in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    command -v swift >/dev/null || die "swift is not on PATH; install Swift 6 (https://swift.org/install) first"
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
}

# Runs a PostgreSQL server binary: as the postgres system user when we are root (initdb refuses root).
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# pg_start DIR PORT [extra postgres -c settings…]: creates the cluster in DIR if needed (trust auth on loopback
# and the socket in DIR only: a private cluster) and starts it. Waits until it accepts connections.
pg_start() {
    local dir=$1 port=$2
    shift 2
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
    chmod 700 "$dir"
    if ! as_pg test -x "$dir"; then
        die "the postgres user cannot reach $dir; move the checkout somewhere world-traversable (not under /root)"
    fi
    if [ ! -f "$dir/PG_VERSION" ]; then
        as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    local options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200"
    for setting in "$@"; do options="$options -c $setting"; done
    as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -o "$options" -w -t 60 start >/dev/null \
        || { tail -n 20 "$dir/server.log" >&2; die "PostgreSQL did not start; its log is $dir/server.log"; }
}

pg_stop() {
    local dir=$1
    [ -f "$dir/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
}

# The port a running cluster in DIR listens on, or nothing.
pg_running_port() {
    local dir=$1
    [ -f "$dir/postmaster.pid" ] || return 0
    as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1 || return 0
    sed -n 4p "$dir/postmaster.pid"
}
