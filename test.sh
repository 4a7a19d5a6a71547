#!/usr/bin/env bash
# Runs the whole test suite: installs the real peers and tools the tests use (socat, ss, dante, tinyproxy,
# sshd, python3-websockets, node's ws, chromium, …) when they are missing and we are root, publishes the NativeAOT binary, runs xunit, and ends with the line
# "N passed, N failed, N skipped" read from the test results file.
set -uo pipefail
cd "$(dirname "$0")"

PATH="$PATH:/usr/sbin:/sbin"   # danted and sshd live in /usr/sbin

# tool:package pairs the tests run as real peers or inspectors
missing=()
for pair in socat:socat ss:iproute2 lsattr:e2fsprogs setpriv:util-linux unshare:util-linux python3:python3 \
            danted:dante-server tinyproxy:tinyproxy sshd:openssh-server ssh:openssh-client ssh-keygen:openssh-client \
            useradd:passwd chpasswd:passwd openssl:openssl jq:jq mandoc:mandoc groff:groff-base zsh:zsh fish:fish \
            lintian:lintian man:man-db dpkg-shlibdeps:dpkg-dev promtool:prometheus tshark:tshark rsyslogd:rsyslog \
            node:nodejs npm:npm chromium:chromium; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
# The WebSocket tests' python peer is a module of Debian's python, not a command.
/usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 || missing+=(python3-websockets)
# The library sample's fixture runs a private PostgreSQL server (Debian keeps it out of PATH).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    readarray -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    echo "installing ${missing[*]}"
    # The proxy and ssh packages would start system services: keep them from starting (the tests
    # start their own on loopback), and never touch a service that was already there.
    policy=/usr/sbin/policy-rc.d; made_policy=
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && made_policy=1; fi
    # tshark's package asks whether non-root users may capture: no (the tests only read files).
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    [ -n "$made_policy" ] && rm -f "$policy"
    for pkg in "${missing[@]}"; do
      # prometheus and rsyslog: the tests run their own servers with temporary configs, never the system's.
      case $pkg in dante-server) svc=danted;; tinyproxy) svc=tinyproxy;; openssh-server) svc=ssh;;
                   prometheus) svc=prometheus;; rsyslog) svc=rsyslog;; *) continue;; esac
      if [ -d /run/systemd/system ]; then systemctl disable --now "$svc" >/dev/null 2>&1
      else update-rc.d "$svc" disable >/dev/null 2>&1; fi
      case $svc in   # by pid file only, never by name
        danted) start-stop-daemon --stop --quiet --oknodo --pidfile /run/danted.pid >/dev/null 2>&1 ;;
        tinyproxy) start-stop-daemon --stop --quiet --oknodo --pidfile /run/tinyproxy/tinyproxy.pid >/dev/null 2>&1 ;;
        ssh) start-stop-daemon --stop --quiet --oknodo --pidfile /run/sshd.pid >/dev/null 2>&1 ;;
        prometheus) start-stop-daemon --stop --quiet --oknodo --pidfile /run/prometheus/prometheus.pid >/dev/null 2>&1 ;;
        rsyslog) start-stop-daemon --stop --quiet --oknodo --pidfile /run/rsyslogd.pid >/dev/null 2>&1 ;;
      esac
    done
  else
    echo "warning: ${missing[*]} missing and not root: the tests that need them will fail" >&2
  fi
fi

./build.sh >/dev/null || { echo "build failed"; ./build.sh; exit 1; }

# The packages the Packaging tests install (about a minute and a half). A failure is not fatal
# here: those tests then fail, quoting this log, and the rest of the suite still runs.
./package.sh --no-build >artifacts/package.log 2>&1 ||
  echo "package.sh failed (artifacts/package.log): $(tail -n 2 artifacts/package.log | head -n 1)"

# The Node.js peers (toxiproxy's client, node's ws), as tests/node/package-lock.json pins them;
# again only when the lock changed. A failure is not fatal here: the tests of those peers fail.
if [ ! -d tests/node/node_modules ] || [ tests/node/package-lock.json -nt tests/node/node_modules ]; then
  (cd tests/node && npm ci --no-audit --no-fund >../../artifacts/npm.log 2>&1 && touch node_modules) ||
    echo "npm ci failed (artifacts/npm.log): the tests of the Node.js peers will fail"
fi

# socat 1.8.0.3, the reference for 1.8's additions, built from Debian's source (reused once built).
# A failure is not fatal here: the tests that compare with it fail, naming artifacts/socat18.log.
tools/socat18.sh >artifacts/socat18.log 2>&1 ||
  echo "tools/socat18.sh failed (artifacts/socat18.log): $(tail -n 1 artifacts/socat18.log)"
tools/socat181.sh >artifacts/socat181.log 2>&1 ||
  echo "tools/socat181.sh failed (artifacts/socat181.log): $(tail -n 1 artifacts/socat181.log)"

results=artifacts/test-results
rm -rf "$results"
dotnet test tests/SharpCat.Tests/SharpCat.Tests.csproj -c Release -nologo \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@"
status=$?

trx=$(ls "$results"/*.trx 2>/dev/null | head -n 1)
if [ -z "$trx" ]; then
  echo "no test results were written"
  echo "0 passed, 1 failed"
  exit 1
fi
counter() { grep -o "<Counters [^>]*" "$trx" | grep -o " $1=\"[0-9]*\"" | grep -o "[0-9]*"; }
passed=$(counter passed); failed=$(counter failed); total=$(counter total); executed=$(counter executed)
skipped=$(( total - executed ))
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
