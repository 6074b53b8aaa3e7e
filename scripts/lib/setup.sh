# Shared by scripts/demo, scripts/test, scripts/fuzz and scripts/install: what to install, and how.
# Sourced, not run.

# Debian packages the build needs (C libraries behind the .systemLibrary targets).
BUILD_PACKAGES=(zlib1g-dev libisal-dev libsqlite3-dev libzstd-dev liblzma-dev libbz2-dev)
# Debian packages the tests need beside them: real peers and checkers.
TEST_PACKAGES=(gzip python3 python3-pip iproute2 bind9-dnsutils bind9-utils rbldnsd nsd knot bind9 curl openssl util-linux chromium chromium-driver zstd xz-utils bzip2 postgresql-15)

# Prints "abuse-ingest: <what>" on stderr.
say() { printf 'abuse-ingest: %s\n' "$*" >&2; }

# Installs the named Debian packages that are missing. As root it runs apt-get; otherwise it
# stops with the exact command to run and exit 2 (FORMATS.md §1: a configuration error).
ensure_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        say "error: missing Debian packages: ${missing[*]}"
        say "run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
        exit 2
    fi
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Installs the Python packages the tests use when missing: jsonschema (≥ 4.18, with
# `referencing`) for ../shared/xarf/validate.py (Debian 12's is older), prometheus_client to
# parse /metrics, selenium to drive Debian's Chromium through its chromedriver.
ensure_jsonschema() {
    python3 -c "import jsonschema, referencing, prometheus_client, selenium" 2>/dev/null && return 0
    if [ "$(id -u)" -ne 0 ] && [ -z "${VIRTUAL_ENV:-}" ]; then
        say "error: Python's jsonschema (>= 4.18), prometheus_client or selenium is missing"
        say "run:  python3 -m pip install --user 'jsonschema>=4.18' prometheus_client selenium"
        exit 2
    fi
    say "installing Python's jsonschema, prometheus_client and selenium"
    python3 -m pip install --quiet 'jsonschema>=4.18' prometheus_client selenium 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages 'jsonschema>=4.18' prometheus_client selenium
}

# `serve-dns --xdp lo` (its tests and the DNS benchmark) answers through AF_XDP on the
# loopback interface. Those answers enter the kernel without the route a socket's datagram
# carries, and loopback addresses arriving that way are dropped unless lo accepts them:
# route_localnet and accept_local, on lo only. Needs root, as AF_XDP itself does.
ensure_xdp_loopback() {
    local setting
    for setting in route_localnet accept_local; do
        [ "$(cat /proc/sys/net/ipv4/conf/lo/$setting 2>/dev/null)" = 1 ] && continue
        if [ "$(id -u)" -ne 0 ]; then
            say "warning: net.ipv4.conf.lo.$setting is not 1: the AF_XDP tests will fail (as root: sysctl -w net.ipv4.conf.lo.$setting=1)"
            continue
        fi
        say "setting net.ipv4.conf.lo.$setting=1 (for serve-dns --xdp lo)"
        sysctl -q -w "net.ipv4.conf.lo.$setting=1"
    done
}

# Stops unless Swift 6 is on the PATH.
ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        say "error: swift is not on the PATH: install Swift 6 (https://www.swift.org/install/linux/) and add its usr/bin to PATH"
        exit 2
    fi
}
