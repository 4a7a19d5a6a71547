#!/usr/bin/env bash
# Runs SharpCat and Debian's socat side by side on the same work and prints one table with ratios
# (DESIGN.md §7). Everything runs on loopback only: TCP listeners bind 127.0.0.1, UNIX sockets live
# in a mktemp directory.
#
# Scenarios (each figure is the median of BENCH_RUNS runs, default 5; the runs of the relays being
# compared are interleaved, so a build elsewhere on the machine hurts all of them alike):
#   stdio     head -c N /dev/zero | RELAY -u - - | wc -c          (plus -b 65536, both ways, file)
#   TCP bulk  source -> RELAY TCP-LISTEN:P1 TCP:127.0.0.1:P2 -> sink, N MiB; the "limit" column is
#             the source straight into the sink. sharpcat is compared with socat (-b 8192) and with
#             socat -b 65536. Source and sink are the same socat commands for every relay:
#               sink:   socat -u -b 262144 TCP-LISTEN:P2,reuseaddr,bind=127.0.0.1 OPEN:/dev/null
#               source: socat -u -b 262144 OPEN:/dev/zero,readbytes=N TCP:127.0.0.1:P1
#             A first, untimed round counts the bytes at the sink (| wc -c) to check every relay.
#   UNIX bulk the same with UNIX-LISTEN / UNIX-CONNECT sockets in the temp directory.
#   conn/s    RELAY TCP-LISTEN:P,reuseaddr,fork,bind=127.0.0.1 PIPE, a python client with 4 threads
#             doing BENCH_CONNS (2000) connections: connect, send 64 bytes, read the echo, shut down
#             writing, read EOF, close; and a second row without the 64 bytes. limit = the same
#             client against a python epoll server doing PIPE's work (accept, echo, close on EOF);
#             the client bounds it (a C epoll server measured the same ~10k/s here).
#   latency   RELAY TCP-LISTEN:P,reuseaddr,bind=127.0.0.1 TCP:127.0.0.1:ECHO (python echo server),
#             2000 ping-pongs of 64 bytes (TCP_NODELAY on the client), p50 / p99 in microseconds;
#             limit = the client straight to the echo server. One untimed warm-up round.
#   memory    BENCH_MEMCONNS (500) idle connections through RELAY TCP-LISTEN:P,fork to a python
#             server that holds them; PSS (smaps_rollup) of the relay and all its descendants minus
#             the idle figure before the connections, per connection. Median of min(RUNS,3) runs.
#             Clients open at most 4 ahead of the backend's accepts (socat listens with backlog 5),
#             all within 60 s.
#             Then the idle process RSS: VmRSS (/proc/PID/status) of RELAY TCP-LISTEN:P,reuseaddr,fork,
#             bind=127.0.0.1 PIPE listening with no connection yet, 0.2 s after it listens.
#   start-up  -V, and -u OPEN:empty1 OPEN:empty2 (a relay of two empty files), 200 runs each spawned
#             from python, interleaved; limit = /bin/true.
#   faults    "off costs nothing": TCP bulk and the 64 B round trip through sharpcat with fault options
#             that no connection draws (fault-latency=0.001,fault-probability=0 on the listening
#             address), in the sharpcat column, against plain sharpcat in the socat column.
#   udp       RELAY -u -b 65536 UDP-RECV:P1 UDP-SENDTO:127.0.0.1:P2, BENCH_UDP (100000) datagrams of
#             64, 1400 and 16384 bytes from a python sender with 32 in flight to a python sink;
#             datagrams/s, MiB/s, relay CPU ms per 100k datagrams.
#   tls       RELAY OPENSSL-LISTEN:P,fork,cert=(self-signed),verify=0 TCP:127.0.0.1:ECHO: BENCH_TLS_CONNS (500)
#             python TLS clients in 4 threads, handshakes/s and relay CPU ms per 1000, once with the
#             handshake only (connect, handshake, close) and once with 64 B each way after it (limit =
#             the same clients against a python TLS echo server; the python clients bound it); then
#             BENCH_TLS_MIB (256) MiB from a socat TLS client through the relay to a TCP sink; then the
#             first reply on BENCH_TLS_FIRST (200) fresh TLS 1.3 connections one after another (64 B
#             out, timed until they are back; client with TCP_NODELAY), p50 / p99 in microseconds;
#             limit = the same client against a python TLS echo server (TCP_NODELAY).
# Relay CPU = user+sys of the relay process alone (and of its reaped children for socat's fork):
# wait4() rusage (python runner) on relays that end by themselves, /proc/PID/stat before killing
# the fork relays. A scenario where a relay fails shows FAIL and a note with a command to reproduce.
# Every wait is bounded; every background process is killed on exit.
#
# Usage: bench/run.sh [size_in_MiB]   (default 1024; `bench/run.sh 256` is a quicker run)
#   env: BENCH_RUNS (5), BENCH_CONNS (2000), BENCH_MEMCONNS (500), BENCH_PINGS (2000), BENCH_UDP
#        (100000), BENCH_TLS_CONNS (500), BENCH_TLS_MIB (256), BENCH_TLS_FIRST (200),
#        SHARPCAT_BIN (artifacts/sharpcat), BENCH_ONLY (space-separated subset of:
#        stdio files tcp unix conn latency memory startup udp tls faults ws)
set -uo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
RUNS=${BENCH_RUNS:-5}
CONNS=${BENCH_CONNS:-2000}
MEMCONNS=${BENCH_MEMCONNS:-500}
PINGS=${BENCH_PINGS:-2000}
ONLY=${BENCH_ONLY:-stdio files tcp unix conn latency memory startup udp tls faults ws}
SHARPCAT=$(realpath "${SHARPCAT_BIN:-artifacts/sharpcat}")
[ -x "$SHARPCAT" ] || ./build.sh >/dev/null
command -v socat >/dev/null || { echo "socat is needed: apt-get install -y socat" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
[[ $SIZE_MIB =~ ^[0-9]+$ && $SIZE_MIB -gt 0 ]] || { echo "usage: $0 [size_in_MiB]" >&2; exit 2; }
BYTES=$((SIZE_MIB * 1048576))
# generous bound for one bulk transfer: 20 s plus N MiB at 25 MiB/s
XFER_T=$((20 + SIZE_MIB / 25))
tmp=$(mktemp -d)
# functions run in $( ) and <( ) subshells: notes and background pids go through files
NOTES=$tmp/notes; PIDF=$tmp/pids; : > "$NOTES"; : > "$PIDF"
track() { echo "$1" >> "$PIDF"; }

descendants() { local c; for c in $(pgrep -P "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done; }
alive() { local st; st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1); [ -n "$st" ] && [ "$st" != Z ]; }
# SIGTERM to processes and all their descendants (collected first), up to 5 s, then SIGKILL.
# $1 = "pid..." , $2 = what they are (for a note when SIGKILL was needed; empty: no note)
stop() {
  local all=() p i=0 left
  for p in $1; do all+=("$p" $(descendants "$p")); done
  [ ${#all[@]} -eq 0 ] && return
  kill -TERM "${all[@]}" 2>/dev/null
  while [ $i -lt 100 ]; do
    left=(); for p in "${all[@]}"; do alive "$p" && left+=("$p"); done
    [ ${#left[@]} -eq 0 ] && break
    sleep 0.05; i=$((i + 1))
  done
  if [ ${#left[@]} -gt 0 ]; then
    [ -n "${2:-}" ] && note "$2 was still running 5 s after SIGTERM: killed with SIGKILL"
    kill -KILL "${left[@]}" 2>/dev/null
  fi
  for p in $1; do wait "$p" 2>/dev/null; done
}
cleanup() { # the tracked background processes and whatever still descends from this script
  stop "$(cat "$PIDF" 2>/dev/null) $(pgrep -P $$ 2>/dev/null)" ""
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# one binary for the whole run, even if artifacts/sharpcat is rebuilt meanwhile
cp "$SHARPCAT" "$tmp/sharpcat"; SHARPCAT_SRC=$SHARPCAT; SHARPCAT=$tmp/sharpcat

# ---------------------------------------------------------------- python helpers
PY=$tmp/helper.py
cat > "$PY" <<'EOF'
import os, random, resource, select, socket, sys, threading, time

def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except Exception: pass

def freeport(n=1):
    # random ports below the ephemeral range (32768+), so no client connection can take them
    socks = []
    while len(socks) < n:
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", random.randrange(20000, 32768)))
            socks.append(s)
        except OSError:
            s.close()
    print(" ".join(str(s.getsockname()[1]) for s in socks))

def listening(kind, what):
    if kind == "tcp":
        port = "%04X" % int(what)
        for f in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                for line in open(f).readlines()[1:]:
                    p = line.split()
                    if p[1].rsplit(":", 1)[1] == port and p[3] == "0A":
                        return True
            except FileNotFoundError:
                pass
        return False
    if kind == "udp":
        port = "%04X" % int(what)
        return any(line.split()[1].rsplit(":", 1)[1] == port for line in open("/proc/net/udp").readlines()[1:])
    for line in open("/proc/net/unix").readlines()[1:]:
        p = line.split()
        if len(p) >= 8 and p[7] == what and int(p[3], 16) & 0x10000:
            return True
    return False

def waitlisten(kind, what, timeout):
    end = time.monotonic() + float(timeout)
    while time.monotonic() < end:
        if listening(kind, what): return 0
        time.sleep(0.01)
    return 1

def echoserver(port):
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(port))); ls.listen(4096)
    def serve(c):
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                d = c.recv(65536)
                if not d: break
                c.sendall(d)
        except OSError:
            pass
        c.close()
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

def connserver(port):
    # the no-relay limit of the connection rows: the relay's PIPE without a relay (accept, echo
    # what comes, close on EOF), in one epoll loop, so that no thread is started per connection
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(port))); ls.listen(4096); ls.setblocking(False)
    ep = select.epoll(); lfd = ls.fileno(); ep.register(lfd, select.EPOLLIN); conns = {}
    def serve(c):   # False once the connection is closed
        try: d = c.recv(65536)
        except BlockingIOError: return True
        except OSError: d = b""
        if d:
            try: c.send(d); return True   # the clients send 64 bytes at most: the send buffer takes them
            except OSError: pass
        c.close(); return False
    while True:
        for fd, _ in ep.poll():
            if fd == lfd:
                while True:
                    try: c, _ = ls.accept()
                    except BlockingIOError: break
                    c.setblocking(False)
                    if serve(c):   # what the client sent may be there already
                        conns[c.fileno()] = c; ep.register(c.fileno(), select.EPOLLIN)
            else:
                c = conns[fd]
                if not serve(c):
                    del conns[fd]   # close() removed it from the epoll set

def connrate(port, n, threads, size):
    # n connections in threads: connect, send size bytes and read them back (none when size is 0),
    # shut down writing, read EOF, close; prints "ok elapsed errors first_error"
    port, n, threads, size = int(port), int(n), int(threads), int(size)
    msg = b"x" * size
    lock = threading.Lock(); state = {"next": 0, "ok": 0}; errs = []
    def one():
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        try:
            if size:
                s.sendall(msg)
                got = b""
                while len(got) < size:
                    d = s.recv(size - len(got))
                    if not d: break
                    got += d
                if got != msg: raise RuntimeError("echo returned %d of %d bytes" % (len(got), size))
            s.shutdown(socket.SHUT_WR)
            d = s.recv(1)
            if d != b"": raise RuntimeError("extra bytes %r" % d)
        finally:
            s.close()
    def worker():
        while True:
            with lock:
                if state["next"] >= n or errs: return   # the first error ends the run
                state["next"] += 1
            try:
                one()
                with lock: state["ok"] += 1
            except Exception as e:
                with lock: errs.append(repr(e))
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in ts: t.start()
    for t in ts: t.join()
    el = time.perf_counter() - t0
    print(state["ok"], "%.6f" % el, len(errs), (errs[0] if errs else "").replace(" ", "_"))

def latency(port, n, size):
    port, n, size = int(port), int(n), int(size)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = b"p" * size; lat = []
    for i in range(200 + n):
        t0 = time.perf_counter_ns()
        s.sendall(msg)
        got = 0
        while got < size:
            d = s.recv(size - got)
            if not d: raise SystemExit("connection closed after %d pings" % i)
            got += len(d)
        if i >= 200: lat.append(time.perf_counter_ns() - t0)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
    lat.sort()
    print("%.1f %.1f" % (lat[len(lat) // 2] / 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1000))

def waitfile(path, timeout):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end: raise SystemExit("timed out waiting for " + path)
        time.sleep(0.02)

def memhold(holdport, relayport, n, ctl):
    # holds both ends: the backend server (accepts and keeps sockets) and the clients of the relay.
    # ctl/go starts the connections, ctl/ready gets "clients accepted dead error", ctl/quit ends.
    raise_nofile()
    n = int(n)
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(holdport))); ls.listen(4096)
    accepted = []; cond = threading.Condition()
    def acc():
        while True:
            c, _ = ls.accept()
            with cond:
                accepted.append(c); cond.notify_all()
    threading.Thread(target=acc, daemon=True).start()
    waitfile(ctl + "/go", 120)
    clients = []; err = ""; end = time.monotonic() + 60
    for i in range(n):
        if time.monotonic() > end:
            err = "only_%d_connections_after_60_s" % i; break
        try:
            clients.append(socket.create_connection(("127.0.0.1", int(relayport)), timeout=10))
        except Exception as e:
            err = "connect_%d:_%r" % (i, e); break
        # pace the clients to the relay's accept rate (socat listens with backlog 5)
        with cond:
            if not cond.wait_for(lambda: len(accepted) >= i + 1 - 4, timeout=10):
                err = "backend_saw_%d_of_%d" % (len(accepted), i + 1); break
    with cond:
        cond.wait_for(lambda: len(accepted) >= len(clients), timeout=30)
    time.sleep(0.3)
    r, _, _ = select.select(clients, [], [], 0) if clients else ([], [], [])
    dead = len(r)  # readable idle client = EOF or reset from the relay
    with open(ctl + "/ready.tmp", "w") as f:
        f.write("%d %d %d %s\n" % (len(clients), len(accepted), dead, err or "-"))
    os.rename(ctl + "/ready.tmp", ctl + "/ready")
    waitfile(ctl + "/quit", 300)
    for c in clients: c.close()

def udpflood(relayport, sinkport, n, size, window):
    # sends n datagrams of size bytes to relayport, at most window of them not yet seen at sinkport;
    # prints "seconds datagrams_received"
    n, size, window = int(n), int(size), int(window)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sink.bind(("127.0.0.1", int(sinkport))); sink.settimeout(2)
    src = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    data = os.urandom(size); target = ("127.0.0.1", int(relayport))
    got = sent = 0; t0 = time.monotonic()
    try:
        while got < n:
            while sent < n and sent - got < window:
                src.sendto(data, target); sent += 1
            sink.recv(70000); got += 1
    except socket.timeout:
        pass
    print("%.6f %d" % (time.monotonic() - t0, got))

def tlsclientctx(tls13=False):
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    if tls13: ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx

def tlsrate(port, n, threads, size):
    # n TLS connections (no verification) in threads: handshake, size bytes out and back (none when
    # size is 0), close; prints "ok elapsed errors first_error"
    n, threads, size = int(n), int(threads), int(size)
    ctx = tlsclientctx(); msg = b"x" * size
    lock = threading.Lock(); state = {"ok": 0, "err": 0, "msg": "none", "next": 0}
    def worker():
        while True:
            with lock:
                if state["next"] >= n: return
                state["next"] += 1
            try:
                with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as raw:
                    with ctx.wrap_socket(raw, server_hostname="localhost") as c:
                        if size:
                            c.sendall(msg); got = b""
                            while len(got) < size:
                                d = c.recv(size - len(got))
                                if not d: break
                                got += d
                            if got != msg: raise Exception("echo returned %d of %d bytes" % (len(got), size))
                with lock: state["ok"] += 1
            except Exception as e:
                with lock:
                    state["err"] += 1; state["msg"] = repr(e)[:80].replace(" ", "_")
    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts: t.start()
    for t in ts: t.join()
    print(state["ok"], "%.6f" % (time.monotonic() - t0), state["err"], state["msg"])

def tlsfirst(port, n, size):
    # n fresh connections one after another: TLS 1.3 handshake, then size bytes out; times from the
    # send until all of them are back; prints "p50_us p99_us". The client sets TCP_NODELAY, as HTTP
    # clients and the latency client here do, and the no-relay TLS echo server sets it too, as the
    # plain echo server does. It matters: on 2026-12-02 (50 connections) the first reply took 41 ms
    # through sharpcat and 43 ms through socat with it on the client, 0.56 ms and 43 ms without it
    # (limit 0.2 ms either way): probably the client's own Nagle then holds the request until the
    # server's first session ticket has come, and the request's segment ACKs that ticket.
    n, size = int(n), int(size)
    ctx = tlsclientctx(tls13=True); msg = b"q" * size; lat = []
    for i in range(n):
        raw = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with ctx.wrap_socket(raw, server_hostname="localhost") as c:
            if c.version() != "TLSv1.3": raise SystemExit("connection %d negotiated %s, not TLSv1.3" % (i, c.version()))
            t0 = time.perf_counter_ns(); c.sendall(msg); got = 0
            while got < size:
                d = c.recv(size - got)
                if not d: raise SystemExit("connection %d closed after %d of %d bytes" % (i, got, size))
                got += len(d)
            lat.append(time.perf_counter_ns() - t0)
    lat.sort()
    print("%.1f %.1f" % (lat[len(lat) // 2] / 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] / 1000))

def tlsechoserver(port, pem):
    # the no-relay limit of the TLS first-reply row: a TLS echo server (TCP_NODELAY, as echoserver)
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(pem)
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", int(port))); ls.listen(4096)
    def serve(c):
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            with ctx.wrap_socket(c, server_side=True) as t:
                while True:
                    d = t.recv(65536)
                    if not d: break
                    t.sendall(d)
        except OSError:   # ssl.SSLError included: a client that went away
            pass
        finally:
            c.close()
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

def run(out, *cmd):
    # runs cmd as a child; writes "wall_seconds cpu_seconds" (user+sys of the child and the children
    # it reaped, from wait4, microsecond precision) to out; exits with the child's status
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try: os.execvp(cmd[0], cmd)
        finally: os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    with open(out, "w") as f:
        f.write("%.6f %.6f\n" % (time.perf_counter() - t0, ru.ru_utime + ru.ru_stime))
    code = os.waitstatus_to_exitcode(status)
    sys.exit(code if code >= 0 else 128 - code)

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "freeport": freeport(*map(int, args))
elif cmd == "waitlisten": sys.exit(waitlisten(*args))
elif cmd == "echoserver": echoserver(*args)
elif cmd == "connserver": connserver(*args)
elif cmd == "connrate": connrate(*args)
elif cmd == "latency": latency(*args)
elif cmd == "memhold": memhold(*args)
elif cmd == "udpflood": udpflood(*args)
elif cmd == "tlsrate": tlsrate(*args)
elif cmd == "tlsfirst": tlsfirst(*args)
elif cmd == "tlsechoserver": tlsechoserver(*args)
elif cmd == "run": run(*args)
else: sys.exit("unknown helper " + cmd)
EOF
h() { python3 "$PY" "$@"; }

# ---------------------------------------------------------------- small tools
median() { # of the numbers on stdin; "-" when there are none or one is not a number
  sort -g | awk '{a[NR] = $1; if ($1 !~ /^[0-9.]+([eE][-+]?[0-9]+)?$/) bad = 1}
    END {if (NR == 0 || bad) print "-"; else print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'
}
# $1 = function printing "value..." or FAIL for one config, $2 = rounds, $3... = configs.
# Rounds interleave the configs (a build on the machine then hurts all of them alike); with
# WARMUP=1 a round 0 runs first whose figures are dropped (ROUND tells the function which round).
# Prints per config the median of each output column, or "FAIL FAIL"; a config that failed once
# is not run again.
series() {
  local fn=$1 rounds=$2 i r out k nf line; shift 2
  local cfg=("$@")
  for i in "${!cfg[@]}"; do : > "$tmp/ser.$i"; rm -f "$tmp/ser.$i.fail"; done
  for r in $(seq $((${WARMUP:-0} ? 0 : 1)) "$rounds"); do
    for i in "${!cfg[@]}"; do
      [ -e "$tmp/ser.$i.fail" ] && continue
      out=$(ROUND=$r "$fn" "${cfg[$i]}")
      if [[ -z $out || $out == FAIL* ]]; then touch "$tmp/ser.$i.fail"
      elif [ "$r" != 0 ]; then echo "$out" >> "$tmp/ser.$i"; fi
    done
  done
  for i in "${!cfg[@]}"; do
    if [ -e "$tmp/ser.$i.fail" ]; then echo "FAIL FAIL"; continue; fi
    nf=$(head -n 1 "$tmp/ser.$i" | wc -w); line=
    for k in $(seq "$nf"); do line+="$(cut -d' ' -f"$k" "$tmp/ser.$i" | median) "; done
    echo "${line% }"
  done
}
# "wall_s cpu_s" -> "MiB/s cpu_s_per_GiB"
rate() {
  local w c; read -r w c <<<"$1"
  isnum "$w" || { echo "$w $c"; return; }
  awk -v w="$w" -v c="$c" -v mib="$SIZE_MIB" 'BEGIN {printf "%.0f %s\n", mib / (w > 0 ? w : 0.001), (c == "-" ? "-" : sprintf("%.2f", c / (mib / 1024)))}'
}
isnum() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }
note() { echo "$*" >> "$NOTES"; }
label() { case $1 in "$SHARPCAT"*) echo "sharpcat${1#"$SHARPCAT"}";; *) echo "$1";; esac; }
# user+sys+cutime+cstime of a process in clock ticks (children count once the relay reaped them)
cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13 + $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TICK=$(getconf CLK_TCK)
# wait up to $2 seconds for our child $1 to end; sets BW_RC to its exit status, or to "hung" after
# killing it (SIGTERM, then SIGKILL 5 s later)
bounded_wait() {
  local p=$1 t=$2 i=0
  while alive "$p" && [ $i -lt $((t * 20)) ]; do sleep 0.05; i=$((i + 1)); done
  if alive "$p"; then stop "$p" "process $p"; BW_RC=hung; return; fi
  wait "$p" 2>/dev/null; BW_RC=$?
}
pss_tree() { # PSS in KiB of a process and all its descendants, and the process count
  local p=$1 kids c out total=0 n=1
  total=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
  kids=$(pgrep -P "$p" 2>/dev/null || true)
  for c in $kids; do
    read -r out cn < <(pss_tree "$c"); total=$((total + out)); n=$((n + cn))
  done
  echo "$total $n"
}

FMT="%-38s %-12s %10s %10s %10s %7s  %8s %8s %6s\n"
# name metric limit sharp socat sharp_cpu socat_cpu  (ratio = sharpcat / socat)
row() {
  local n=$1 m=$2 l=$3 s=$4 o=$5 sc=${6:--} oc=${7:--} r=- cr=-
  isnum "$s" && isnum "$o" && r=$(awk -v a="$s" -v b="$o" 'BEGIN {printf (b > 0 ? "%.2fx" : "-"), a / b}')
  isnum "$sc" && isnum "$oc" && cr=$(awk -v a="$sc" -v b="$oc" 'BEGIN {printf (b > 0 ? "%.2fx" : "-"), a / b}')
  printf "$FMT" "$n" "$m" "$l" "$s" "$o" "$r" "$sc" "$oc" "$cr"
}
r0() { isnum "$1" && awk -v v="$1" 'BEGIN {printf "%.0f", v}' || echo "$1"; }
r1() { isnum "$1" && awk -v v="$1" 'BEGIN {printf "%.1f", v}' || echo "$1"; }
r2() { isnum "$1" && awk -v v="$1" 'BEGIN {printf "%.2f", v}' || echo "$1"; }

# ---------------------------------------------------------------- stdio pipes
# relay wall seconds and CPU seconds (user+sys of the relay process alone) inside the pipeline
stdio_once() { # $1 = relay command (reads stdin, writes stdout)
  local n st
  head -c "${SIZE_MIB}M" /dev/zero | python3 "$PY" run "$tmp/t" timeout "$XFER_T" sh -c "exec $1" 2>"$tmp/stdio.err" | wc -c > "$tmp/n"
  st=("${PIPESTATUS[@]}"); n=$(cat "$tmp/n")
  if [ "${st[1]}" != 0 ] || [ "$n" != "$BYTES" ]; then
    echo "FAIL"; note "stdio: \`head -c ${SIZE_MIB}M /dev/zero | $(label "$1") | wc -c\` exit ${st[1]}, $n of $BYTES bytes: $(head -c 300 "$tmp/stdio.err")"; return
  fi
  cat "$tmp/t"
}
scen_stdio() {
  local res r i
  head -c "${SIZE_MIB}M" /dev/zero > "$tmp/in"
  mapfile -t res < <(series stdio_once "$RUNS" "cat" "cat $tmp/in" \
    "$SHARPCAT -u - -" "socat -u - -" "$SHARPCAT -b 65536 -u - -" "socat -b 65536 -u - -" \
    "$SHARPCAT - -" "socat - -" "$SHARPCAT -u OPEN:$tmp/in -" "socat -u OPEN:$tmp/in -")
  rm -f "$tmp/in"
  for i in "${!res[@]}"; do r[$i]=$(rate "${res[$i]}"); done
  local lim=${r[0]%% *} flim=${r[1]%% *}
  row "stdio pipes, -u (-b 8192)" "MiB/s" "$lim"  ${r[2]%% *} ${r[3]%% *} ${r[2]#* } ${r[3]#* }
  row "stdio pipes, -u, -b 65536" "MiB/s" "$lim"  ${r[4]%% *} ${r[5]%% *} ${r[4]#* } ${r[5]#* }
  row "stdio pipes, both ways"    "MiB/s" "$lim"  ${r[6]%% *} ${r[7]%% *} ${r[6]#* } ${r[7]#* }
  row "file -> stdout, -u"        "MiB/s" "$flim" ${r[8]%% *} ${r[9]%% *} ${r[8]#* } ${r[9]#* }
}

# ---------------------------------------------------------------- files to and from sockets
# $1 = "relay send|recv" (relay "" = no relay: cat into the socket, for send only). Prints "wall cpu".
file_once() {
  local relay=${1% *} way=${1##* } p rp st w0 w1 n
  read -r p < <(h freeport)
  if [ "$way" = send ]; then
    socat -u -b 262144 TCP-LISTEN:$p,reuseaddr,bind=127.0.0.1 OPEN:/dev/null 2>"$tmp/file.err" & rp=$!; track "$rp"
    h waitlisten tcp "$p" 10 || { echo FAIL; note "files: sink did not listen: $(head -c 200 "$tmp/file.err")"; stop "$rp"; return; }
    if [ -n "$relay" ]; then
      timeout "$XFER_T" python3 "$PY" run "$tmp/t" $relay -u OPEN:$tmp/fin TCP:127.0.0.1:$p 2>>"$tmp/file.err"; st=$?
    else
      timeout "$XFER_T" python3 "$PY" run "$tmp/t" bash -c "cat $tmp/fin > /dev/tcp/127.0.0.1/$p" 2>>"$tmp/file.err"; st=$?
      [ "$st" = 0 ] && sed -i 's/ .*/ -/' "$tmp/t"
    fi
    bounded_wait "$rp" 30
    if [ "$st" != 0 ] || [ "$BW_RC" != 0 ]; then echo FAIL; note "file -> TCP via $(label "${relay:-cat}"): exit $st, sink $BW_RC: $(head -c 200 "$tmp/file.err")"; return; fi
    cat "$tmp/t"; return
  fi
  rm -f "$tmp/fout"
  python3 "$PY" run "$tmp/t" $relay -u TCP-LISTEN:$p,reuseaddr,bind=127.0.0.1 OPEN:$tmp/fout,creat,trunc 2>"$tmp/file.err" & rp=$!; track "$rp"
  h waitlisten tcp "$p" 10 || { echo FAIL; note "TCP -> file: relay did not listen: $(label "$relay") $(head -c 200 "$tmp/file.err")"; stop "$rp"; return; }
  w0=$EPOCHREALTIME
  timeout "$XFER_T" socat -u -b 262144 OPEN:$tmp/fin TCP:127.0.0.1:$p; st=$?
  bounded_wait "$rp" 30; w1=$EPOCHREALTIME
  n=$(stat -c %s "$tmp/fout" 2>/dev/null)
  if [ "$st" != 0 ] || [ "$BW_RC" != 0 ] || [ "$n" != "$BYTES" ]; then echo FAIL; note "TCP -> file via $(label "$relay"): client exit $st, relay $BW_RC, $n of $BYTES bytes: $(head -c 200 "$tmp/file.err")"; return; fi
  echo "$(awk -v a="$w0" -v b="$w1" 'BEGIN {printf "%.6f", b - a}') $(cut -d' ' -f2 "$tmp/t")"
}
scen_files() {
  local res r i
  head -c "${SIZE_MIB}M" /dev/zero > "$tmp/fin"
  mapfile -t res < <(series file_once "$RUNS" " send" "$SHARPCAT send" "socat send" "$SHARPCAT recv" "socat recv")
  rm -f "$tmp/fin" "$tmp/fout"
  for i in "${!res[@]}"; do r[$i]=$(rate "${res[$i]}"); done
  row "file -> TCP, -u (limit: cat)"  "MiB/s" "${r[0]%% *}" ${r[1]%% *} ${r[2]%% *} ${r[1]#* } ${r[2]#* }
  row "TCP -> file, -u"               "MiB/s" "-"         ${r[3]%% *} ${r[4]%% *} ${r[3]#* } ${r[4]#* }
}

# ---------------------------------------------------------------- bulk TCP / UNIX
# one transfer: KIND = tcp|unix, $1 = relay command prefix or "" (no relay); round 0 counts the bytes
# at the sink. Prints "wall cpu" (cpu "-" without relay) or "FAIL"
xfer() {
  local kind=$KIND relay=$1 check=0 sink_a rl rc dst p1 p2 sp rp src_rc sink_rc relay_rc n t0 t1 cpu=-
  [ "${ROUND:-1}" = 0 ] && check=1
  if [ "$kind" = tcp ]; then
    read -r p1 p2 < <(h freeport 2)
    sink_a="TCP-LISTEN:$p2,reuseaddr,bind=127.0.0.1"; rl="TCP-LISTEN:$p1,reuseaddr,bind=127.0.0.1"
    rc="TCP:127.0.0.1:$p2"; dst="TCP:127.0.0.1:$p1"; [ -z "$relay" ] && dst=$rc
  else
    p1=$tmp/relay$BASHPID.sock; p2=$tmp/sink$BASHPID.sock
    sink_a="UNIX-LISTEN:$p2"; rl="UNIX-LISTEN:$p1"; rc="UNIX-CONNECT:$p2"
    dst="UNIX-CONNECT:$p1"; [ -z "$relay" ] && dst=$rc
  fi
  local sink_cmd="socat -u -b 262144 $sink_a OPEN:/dev/null"
  [ "$check" = 1 ] && sink_cmd="socat -u -b 262144 $sink_a - | wc -c"
  local src_cmd="socat -u -b 262144 OPEN:/dev/zero,readbytes=$BYTES $dst"
  local relay_cmd="$relay $rl $rc"
  ( eval "timeout $XFER_T $sink_cmd" > "$tmp/count" 2>"$tmp/sink.err" ) & sp=$!; track "$sp"
  if ! h waitlisten "$kind" "$p2" 10; then echo FAIL; note "$kind sink did not listen: $sink_cmd"; stop "$sp"; return; fi
  if [ -n "$relay" ]; then
    python3 "$PY" run "$tmp/rt" timeout "$XFER_T" $relay_cmd 2>"$tmp/relay.err" & rp=$!; track "$rp"
    if ! h waitlisten "$kind" "$p1" 10; then
      echo FAIL; note "$kind relay did not listen within 10 s: \`$(label "$relay_cmd")\`: $(head -c 300 "$tmp/relay.err")"
      stop "$rp $sp"; return
    fi
  fi
  t0=$EPOCHREALTIME
  timeout "$XFER_T" $src_cmd 2>"$tmp/src.err"; src_rc=$?
  bounded_wait "$sp" "$XFER_T"; sink_rc=$BW_RC
  t1=$EPOCHREALTIME
  relay_rc=0
  if [ -n "$relay" ]; then
    bounded_wait "$rp" 5; relay_rc=$BW_RC   # both ends are closed: the relay must end now
    cpu=$(awk '{print $2}' "$tmp/rt")
  fi
  n=-; [ "$check" = 1 ] && n=$(tr -d ' \n' < "$tmp/count")
  if [ "$src_rc" != 0 ] || [ "$sink_rc" != 0 ] || [ "$relay_rc" != 0 ] || { [ "$check" = 1 ] && [ "$n" != "$BYTES" ]; }; then
    echo FAIL
    note "$kind bulk via $(label "${relay:-no relay}"): source exit $src_rc, sink exit $sink_rc, relay exit $relay_rc, sink got $n of $BYTES bytes." \
      "Reproduce: \`$sink_cmd &\` then \`$(label "$relay_cmd") &\` then \`$src_cmd\`." \
      "relay stderr: $(head -c 400 "$tmp/relay.err" 2>/dev/null | tr '\n' ' ') source stderr: $(head -c 200 "$tmp/src.err" | tr '\n' ' ')"
    return
  fi
  [ -n "$relay" ] && [ -s "$tmp/relay.err" ] && note "$kind bulk via $(label "$relay"): relay wrote to stderr: $(head -c 300 "$tmp/relay.err" | tr '\n' ' ')"
  rm -f "$p1" "$p2" 2>/dev/null
  awk -v a="$t0" -v b="$t1" -v c="$cpu" 'BEGIN {printf "%.6f %s\n", b - a, c}'
}
scen_bulk() { # tcp|unix  title
  local res r i
  mapfile -t res < <(KIND=$1 WARMUP=1 series xfer "$RUNS" "" "$SHARPCAT" "socat" "socat -b 65536")
  for i in "${!res[@]}"; do r[$i]=$(rate "${res[$i]}"); done
  row "$2 relay (socat -b 8192)"   "MiB/s" "${r[0]%% *}" ${r[1]%% *} ${r[2]%% *} ${r[1]#* } ${r[2]#* }
  row "$2 relay vs socat -b 65536" "MiB/s" "${r[0]%% *}" ${r[1]%% *} ${r[3]%% *} ${r[1]#* } ${r[3]#* }
}

# ---------------------------------------------------------------- connections per second
# CONN_SIZE = bytes echoed per connection (0: none). $1 = relay prefix, or "" for the no-relay
# limit: the same client against a python server doing what the relay's PIPE does (accept, echo,
# close on EOF). Prints "conn/s cpu_ms_per_1k_conns" or FAIL
conn_once() {
  local relay=$1 size=${CONN_SIZE:-64} p rp out ok el nerr msg c0 c1 i what
  read -r p < <(h freeport)
  if [ -n "$relay" ]; then
    $relay TCP-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1 PIPE 2>"$tmp/conn.err" & rp=$!
  else
    python3 "$PY" connserver "$p" 2>"$tmp/conn.err" & rp=$!
  fi
  track "$rp"
  what="\`$(label "$relay") TCP-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1 PIPE\`"; [ -z "$relay" ] && what="the python server (no relay)"
  if ! h waitlisten tcp "$p" 10; then echo FAIL; note "conn/s: $what did not listen within 10 s: $(head -c 200 "$tmp/conn.err")"; stop "$rp"; return; fi
  c0=$(cpu_ticks "$rp")
  out=$(timeout 300 python3 "$PY" connrate "$p" "$CONNS" 4 "$size"); read -r ok el nerr msg <<<"$out"
  # let socat reap its last children, so that their CPU is in the parent's cutime/cstime
  for i in $(seq 100); do [ -z "$(pgrep -P "$rp")" ] && break; sleep 0.05; done
  c1=$(cpu_ticks "$rp")
  local alive=1; kill -0 "$rp" 2>/dev/null || alive=0
  stop "$rp" "conn/s server $what"
  if [ -z "$ok" ] || [ "$nerr" != 0 ] || [ "$alive" = 0 ]; then
    echo FAIL
    note "conn/s ($size B echoed) via $what: ${ok:-?} of $CONNS connections ok, ${nerr:-?} errors (first: ${msg:-none}), server alive at end: $alive." \
      "Reproduce: $what and a client doing connect/send $size bytes/read the echo/shutdown(WR)/read EOF/close in 4 threads." \
      "stderr: $(head -c 400 "$tmp/conn.err" | tr '\n' ' ')"
    return
  fi
  [ -n "$relay" ] && [ -s "$tmp/conn.err" ] && note "conn/s via $(label "$relay"): relay wrote to stderr: $(head -c 300 "$tmp/conn.err" | tr '\n' ' ')"
  awk -v ok="$ok" -v el="$el" -v c="$((c1 - c0))" -v tick="$TICK" -v r="$relay" \
    'BEGIN {printf "%.0f %s\n", ok / el, (r == "" ? "-" : sprintf("%.0f", c / tick * 1000 / (ok / 1000)))}'
}
scen_conn() {
  local res l s sc o oc size title
  for size in 64 0; do
    title="fork: conns, 64 B echo ($CONNS, 4 thr)"; [ "$size" = 0 ] && title="fork: conns, no data ($CONNS, 4 thr)"
    mapfile -t res < <(CONN_SIZE=$size series conn_once "$RUNS" "" "$SHARPCAT" "socat")
    read -r l _ <<<"${res[0]}"; read -r s sc <<<"${res[1]}"; read -r o oc <<<"${res[2]}"
    row "$title" "conn/s" "$(r0 "$l")" "$(r0 "$s")" "$(r0 "$o")" "$(r0 "$sc")" "$(r0 "$oc")"
  done
}

# ---------------------------------------------------------------- latency
lat_once() { # relay prefix or "" (straight to the echo server) -> "p50 p99" or FAIL
  local relay=$1 p rp out st relay_rc=0
  if [ -z "$relay" ]; then
    out=$(timeout 60 python3 "$PY" latency "$ECHO_PORT" "$PINGS" 64 2>&1) || { echo FAIL; note "latency without relay failed: $out"; return; }
    echo "$out"; return
  fi
  read -r p < <(h freeport)
  timeout 120 $relay TCP-LISTEN:$p,reuseaddr,bind=127.0.0.1 TCP:127.0.0.1:$ECHO_PORT 2>"$tmp/lat.err" & rp=$!; track "$rp"
  if ! h waitlisten tcp "$p" 10; then echo FAIL; note "latency: relay did not listen: $(label "$relay")"; stop "$rp"; return; fi
  out=$(timeout 60 python3 "$PY" latency "$p" "$PINGS" 64 2>&1); st=$?
  bounded_wait "$rp" 5; relay_rc=$BW_RC
  if [ "$st" != 0 ] || [ "$relay_rc" != 0 ]; then
    echo FAIL
    note "latency via $(label "$relay"): client exit $st ($(echo "$out" | tail -n 1)), relay exit $relay_rc." \
      "Reproduce: a TCP echo server on 127.0.0.1:ECHO, \`$(label "$relay") TCP-LISTEN:$p,reuseaddr,bind=127.0.0.1 TCP:127.0.0.1:ECHO\`, $PINGS x 64-byte ping-pong." \
      "relay stderr: $(head -c 300 "$tmp/lat.err" | tr '\n' ' ')"
    return
  fi
  echo "$out"
}
# round trips through two relays (and none), beside an echo server: $1 title, $2 and $3 relay prefixes
latency_rows() {
  local ep res l s o
  read -r ECHO_PORT < <(h freeport)
  python3 "$PY" echoserver "$ECHO_PORT" & ep=$!; track "$ep"
  h waitlisten tcp "$ECHO_PORT" 10 || { note "latency: echo server did not start"; stop "$ep"; return; }
  mapfile -t res < <(WARMUP=1 series lat_once "$RUNS" "" "$2" "$3")
  stop "$ep"
  read -r -a l <<<"${res[0]}"; read -r -a s <<<"${res[1]}"; read -r -a o <<<"${res[2]}"
  row "$1, p50" "us" "$(r1 "${l[0]}")" "$(r1 "${s[0]}")" "$(r1 "${o[0]}")"
  row "$1, p99" "us" "$(r1 "${l[1]}")" "$(r1 "${s[1]}")" "$(r1 "${o[1]}")"
}
scen_latency() { latency_rows "round trip 64 B ($PINGS pings)" "$SHARPCAT" "socat"; }

# ---------------------------------------------------------------- TLS terminator
TLS_CONNS=${BENCH_TLS_CONNS:-500}
TLS_MIB=${BENCH_TLS_MIB:-256}
TLS_FIRST=${BENCH_TLS_FIRST:-200}
tls_cert() {
  [ -e "$tmp/tls.pem" ] && return
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/tls.key" -out "$tmp/tls.crt" -days 2 -subj /CN=localhost >/dev/null 2>&1
  cat "$tmp/tls.crt" "$tmp/tls.key" > "$tmp/tls.pem"
}
# handshakes/s through an already listening relay ($1, pid $2, port $3) in 4 threads, $4 = bytes
# echoed per connection (0: handshake only) -> "handshakes/s cpu_ms_per_1k" or FAIL
tls_rate() {
  local relay=$1 rp=$2 p=$3 size=$4 out ok el nerr msg c0 c1 i
  c0=$(cpu_ticks "$rp")
  out=$(timeout 300 python3 "$PY" tlsrate "$p" "$TLS_CONNS" 4 "$size"); read -r ok el nerr msg <<<"$out"
  # let socat reap its last children, so that their CPU is in the parent's cutime/cstime
  for i in $(seq 100); do [ -z "$(pgrep -P "$rp")" ] && break; sleep 0.05; done
  c1=$(cpu_ticks "$rp")
  if [ "$ok" != "$TLS_CONNS" ] || ! alive "$rp"; then
    echo FAIL
    note "tls handshakes ($size B echoed) via $(label "$relay"): ${ok:-?}/$TLS_CONNS ok, errors ${nerr:-?} (${msg:-}), relay alive: $(alive "$rp" && echo yes || echo no)." \
      "Reproduce: a TCP echo server on 127.0.0.1:ECHO, \`$(label "$relay") OPENSSL-LISTEN:P,reuseaddr,fork,bind=127.0.0.1,cert=PEM,verify=0 TCP:127.0.0.1:ECHO\`, python TLS clients in 4 threads (handshake, $size B out and back, close)." \
      "relay stderr: $(head -c 200 "$tmp/tls.err" | tr '\n' ' ')"
    return
  fi
  awk -v n="$ok" -v e="$el" -v c="$((c1 - c0))" -v t="$TICK" 'BEGIN {printf "%.0f %.0f\n", n / e, c * 1000 / t / (n / 1000)}'
}
tls_once() { # relay prefix, or "" for the limit (the clients against a python TLS echo server, no
  # throughput) -> "hs_only/s cpu_ms_per_1k hs_64B/s cpu_ms_per_1k MiB/s cpu_s_per_GiB" or FAIL
  local relay=$1 p sp ep= rp hs0 hs64 c0 c1 st w0 w1 bcpu sk cl
  read -r p sp < <(h freeport 2)
  if [ -z "$relay" ]; then
    python3 "$PY" tlsechoserver "$p" "$tmp/tls.pem" 2>"$tmp/tls.err" & rp=$!; track "$rp"
  else
    python3 "$PY" echoserver "$sp" 2>/dev/null & ep=$!; track "$ep"
    h waitlisten tcp "$sp" 10 || { echo FAIL; note "tls: echo server did not start"; stop "$ep"; return; }
    $relay OPENSSL-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1,cert=$tmp/tls.pem,verify=0 TCP:127.0.0.1:$sp 2>"$tmp/tls.err" & rp=$!; track "$rp"
  fi
  if ! h waitlisten tcp "$p" 10; then echo FAIL; note "tls: $(label "${relay:-python TLS echo server}") did not listen: $(head -c 200 "$tmp/tls.err")"; stop "$rp $ep"; return; fi
  # the relay's stderr is not checked here: clients that close right after the handshake leave
  # the relay's session tickets unread, and a relay may report the reset
  hs0=$(tls_rate "$relay" "$rp" "$p" 0); hs64=FAIL; [[ $hs0 == FAIL* ]] || hs64=$(tls_rate "$relay" "$rp" "$p" 64)
  stop "$rp $ep"
  [[ $hs0 == FAIL* || $hs64 == FAIL* ]] && { echo FAIL; return; }
  [ -z "$relay" ] && { echo "${hs0% *} - ${hs64% *} - - -"; return; }
  # throughput: socat client -> relay (TLS off) -> TCP sink
  read -r p sk < <(h freeport 2)
  socat -u -b 262144 TCP-LISTEN:$sk,reuseaddr,bind=127.0.0.1 OPEN:/dev/null 2>"$tmp/tlssink.err" & cl=$!; track "$cl"
  h waitlisten tcp "$sk" 10 || { echo FAIL; note "tls throughput: the TCP sink did not listen on $sk: $(head -c 200 "$tmp/tlssink.err")"; stop "$cl"; return; }
  # fork keeps the relay alive after the transfer, so that its CPU (children reaped) can be read
  $relay -b 65536 OPENSSL-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1,cert=$tmp/tls.pem,verify=0 TCP:127.0.0.1:$sk 2>"$tmp/tls.err" & rp=$!; track "$rp"
  h waitlisten tcp "$p" 10 || { echo FAIL; note "tls throughput: $(label "$relay") did not listen: $(head -c 200 "$tmp/tls.err")"; stop "$rp $cl"; return; }
  c0=$(cpu_ticks "$rp"); w0=$EPOCHREALTIME
  timeout 120 socat -u -b 65536 OPEN:/dev/zero,readbytes=$((TLS_MIB * 1048576)) OPENSSL:127.0.0.1:$p,verify=0; st=$?
  bounded_wait "$cl" 30; w1=$EPOCHREALTIME
  for i in $(seq 100); do [ -z "$(pgrep -P "$rp")" ] && break; sleep 0.05; done
  c1=$(cpu_ticks "$rp"); stop "$rp"
  if [ "$st" != 0 ]; then echo FAIL; note "tls throughput via $(label "$relay"): client exit $st $(head -c 200 "$tmp/tls.err")"; return; fi
  bcpu=$(awk -v c="$((c1 - c0))" -v t="$TICK" -v m="$TLS_MIB" 'BEGIN {printf "%.2f", c / t / (m / 1024)}')
  echo "$hs0 $hs64 $(awk -v a="$w0" -v b="$w1" -v m="$TLS_MIB" 'BEGIN {printf "%.0f", m / (b - a)}') $bcpu"
}
# first reply on fresh TLS 1.3 connections: $1 = relay prefix (OPENSSL-LISTEN,fork to the TCP echo
# server on ECHO_PORT), or "" for the limit, a python TLS echo server -> "p50_us p99_us" or FAIL
tlsfirst_once() {
  local relay=$1 p rp out st what
  read -r p < <(h freeport)
  if [ -n "$relay" ]; then
    what="\`$(label "$relay") OPENSSL-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1,cert=PEM,verify=0 TCP:127.0.0.1:ECHO\`"
    $relay OPENSSL-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1,cert=$tmp/tls.pem,verify=0 TCP:127.0.0.1:$ECHO_PORT 2>"$tmp/tlsf.err" & rp=$!
  else
    what="the python TLS echo server (no relay)"
    python3 "$PY" tlsechoserver "$p" "$tmp/tls.pem" 2>"$tmp/tlsf.err" & rp=$!
  fi
  track "$rp"
  if ! h waitlisten tcp "$p" 10; then echo FAIL; note "tls first reply: $what did not listen within 10 s: $(head -c 200 "$tmp/tlsf.err")"; stop "$rp"; return; fi
  out=$(timeout 120 python3 "$PY" tlsfirst "$p" "$TLS_FIRST" 64 2>&1); st=$?
  stop "$rp"
  if [ "$st" != 0 ]; then
    echo FAIL
    note "tls first reply via $what: client exit $st ($(echo "$out" | tail -n 1))." \
      "Reproduce: a TCP echo server on 127.0.0.1:ECHO, $what, $TLS_FIRST fresh TLS 1.3 connections one after another, 64 B out and back on each." \
      "stderr: $(head -c 300 "$tmp/tlsf.err" | tr '\n' ' ')"
    return
  fi
  echo "$out"
}
scen_tls() {
  local res s o l ep
  command -v openssl >/dev/null || { note "tls: openssl is needed for the certificate"; return; }
  tls_cert
  mapfile -t res < <(series tls_once "$RUNS" "" "$SHARPCAT" "socat")
  read -r -a l <<<"${res[0]}"; read -r -a s <<<"${res[1]}"; read -r -a o <<<"${res[2]}"
  [ "${l[0]}" = FAIL ] && l=(FAIL FAIL FAIL)
  [ "${s[0]}" = FAIL ] && s=(FAIL FAIL FAIL FAIL FAIL FAIL); [ "${o[0]}" = FAIL ] && o=(FAIL FAIL FAIL FAIL FAIL FAIL)
  row "TLS: handshakes only ($TLS_CONNS, 4 thr)" "conn/s" "$(r0 "${l[0]}")" "$(r0 "${s[0]}")" "$(r0 "${o[0]}")" "$(r0 "${s[1]:--}")" "$(r0 "${o[1]:--}")"
  row "TLS: handshake+64 B echo ($TLS_CONNS, 4 thr)" "conn/s" "$(r0 "${l[2]}")" "$(r0 "${s[2]:--}")" "$(r0 "${o[2]:--}")" "$(r0 "${s[3]:--}")" "$(r0 "${o[3]:--}")"
  row "TLS terminator: $TLS_MIB MiB in, TCP out" "MiB/s" "-" "$(r0 "${s[4]:--}")" "$(r0 "${o[4]:--}")" "${s[5]:--}" "${o[5]:--}"
  read -r ECHO_PORT < <(h freeport)
  python3 "$PY" echoserver "$ECHO_PORT" & ep=$!; track "$ep"
  h waitlisten tcp "$ECHO_PORT" 10 || { note "tls first reply: echo server did not start"; stop "$ep"; return; }
  mapfile -t res < <(series tlsfirst_once "$RUNS" "" "$SHARPCAT" "socat")
  stop "$ep"
  read -r -a l <<<"${res[0]}"; read -r -a s <<<"${res[1]}"; read -r -a o <<<"${res[2]}"
  row "TLS 1.3 first reply ($TLS_FIRST conns), p50" "us" "$(r0 "${l[0]}")" "$(r0 "${s[0]}")" "$(r0 "${o[0]}")"
  row "TLS 1.3 first reply ($TLS_FIRST conns), p99" "us" "$(r0 "${l[1]:--}")" "$(r0 "${s[1]:--}")" "$(r0 "${o[1]:--}")"
}

# ---------------------------------------------------------------- UDP datagrams
UDP_N=${BENCH_UDP:-100000}
udp_once() { # relay prefix and datagram size -> "datagrams/s MiB/s cpu_ms_per_100k" or FAIL
  local relay=${1% *} size=${1##* } p1 p2 rp out secs got c0 c1
  read -r p1 p2 < <(h freeport 2)
  $relay -u -b 65536 UDP-RECV:$p1,bind=127.0.0.1,rcvbuf=8388608 UDP-SENDTO:127.0.0.1:$p2 2>"$tmp/udp.err" & rp=$!; track "$rp"
  h waitlisten udp "$p1" 10 || { echo FAIL; note "udp: relay did not bind: $(label "$relay")"; stop "$rp"; return; }
  c0=$(cpu_ticks "$rp")
  out=$(timeout 120 python3 "$PY" udpflood "$p1" "$p2" "$UDP_N" "$size" 32 2>&1)
  c1=$(cpu_ticks "$rp")
  stop "$rp"
  read -r secs got <<<"$out"
  if ! isnum "${secs:-x}" || [ "$got" != "$UDP_N" ]; then
    echo FAIL; note "udp $size B via $(label "$relay"): $out (of $UDP_N). Reproduce: \`$(label "$relay") -u -b 65536 UDP-RECV:P1 UDP-SENDTO:127.0.0.1:P2\`, $UDP_N datagrams, 32 in flight."
    return
  fi
  awk -v s="$secs" -v n="$UDP_N" -v b="$size" -v c="$((c1 - c0))" -v t="$TICK" \
    'BEGIN {printf "%.0f %.1f %.0f\n", n / s, n * b / s / 1048576, c * 1000 / t / (n / 100000)}'
}
scen_udp() {
  local size res s o
  for size in 64 1400 16384; do
    mapfile -t res < <(series udp_once "$RUNS" "$SHARPCAT $size" "socat $size")
    read -r -a s <<<"${res[0]}"; read -r -a o <<<"${res[1]}"
    row "UDP -> UDP $size B datagrams ($UDP_N)" "dgram/s" "-" "$(r0 "${s[0]}")" "$(r0 "${o[0]}")" "$(r0 "${s[2]:--}")" "$(r0 "${o[2]:--}")"
    row "UDP -> UDP $size B datagrams, bytes" "MiB/s" "-" "$(r1 "${s[1]}")" "$(r1 "${o[1]}")"
  done
}

# ---------------------------------------------------------------- memory per idle connection
mem_once() { # relay prefix -> "KiB_per_conn idle_KiB" or FAIL
  local relay=$1 hp p rp mp ctl base after np res clients acc dead err i
  read -r hp p < <(h freeport 2)
  ctl=$(mktemp -d "$tmp/mem.XXXX")
  python3 "$PY" memhold "$hp" "$p" "$MEMCONNS" "$ctl" 2>"$ctl/err" & mp=$!; track "$mp"
  h waitlisten tcp "$hp" 10 || { echo FAIL; note "memory: holding server did not start: $(cat "$ctl/err")"; stop "$mp"; return; }
  $relay TCP-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1 TCP:127.0.0.1:$hp 2>"$ctl/relay.err" & rp=$!; track "$rp"
  if ! h waitlisten tcp "$p" 10; then echo FAIL; note "memory: relay did not listen: $(label "$relay")"; stop "$rp $mp"; return; fi
  sleep 0.5
  read -r base _ < <(pss_tree "$rp")
  touch "$ctl/go"
  for i in $(seq 900); do [ -e "$ctl/ready" ] && break; kill -0 "$mp" 2>/dev/null || break; sleep 0.1; done
  res=$(cat "$ctl/ready" 2>/dev/null); read -r clients acc dead err <<<"$res"
  sleep 0.5
  read -r after np < <(pss_tree "$rp")
  touch "$ctl/quit"
  bounded_wait "$mp" 10
  stop "$rp" "memory relay \`$(label "$relay") TCP-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1 TCP:127.0.0.1:$hp\` holding $MEMCONNS idle connections"
  if [ -z "$res" ] || [ "$clients" != "$MEMCONNS" ] || [ "$acc" -lt "$MEMCONNS" ] || [ "$dead" != 0 ]; then
    echo FAIL
    local part=; isnum "${clients:-x}" && [ "$clients" -gt 0 ] && part=" (PSS $base KiB idle, $after KiB with those $clients: $(awk -v a="$after" -v b="$base" -v n="$clients" 'BEGIN {printf "%.1f", (a - b) / n}') KiB each)"
    note "memory via $(label "$relay"): clients ${clients:-?}/$MEMCONNS$part, backend accepted ${acc:-?}, closed by relay ${dead:-?}, error ${err:-?} $(head -c 200 "$ctl/err")." \
      "Reproduce: a server on 127.0.0.1:HOLD that accepts and holds sockets, \`$(label "$relay") TCP-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1 TCP:127.0.0.1:HOLD\`, $MEMCONNS idle clients." \
      "relay stderr: $(head -c 300 "$ctl/relay.err" | tr '\n' ' ')"
    return
  fi
  awk -v a="$after" -v b="$base" -v n="$MEMCONNS" 'BEGIN {printf "%.1f %d\n", (a - b) / n, b}'
}
rss_once() { # relay prefix -> VmRSS in KiB of an idle fork listener (no connection yet) or FAIL
  local relay=$1 p rp rss
  read -r p < <(h freeport)
  $relay TCP-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1 PIPE 2>"$tmp/rss.err" & rp=$!; track "$rp"
  if ! h waitlisten tcp "$p" 10; then echo FAIL; note "idle RSS: \`$(label "$relay") TCP-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1 PIPE\` did not listen within 10 s: $(head -c 200 "$tmp/rss.err")"; stop "$rp"; return; fi
  sleep 0.2   # past start-up work that follows listen() (the figure stayed the same from 0 to 2 s)
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$rp/status" 2>/dev/null)
  stop "$rp" "idle listener $(label "$relay")"
  isnum "${rss:-x}" || { echo FAIL; note "idle RSS: no VmRSS for $(label "$relay") (exited?): $(head -c 200 "$tmp/rss.err")"; return; }
  echo "$rss"
}
scen_memory() {
  local res s sb o ob
  mapfile -t res < <(series mem_once $((RUNS < 3 ? RUNS : 3)) "$SHARPCAT" "socat")
  read -r s sb <<<"${res[0]}"; read -r o ob <<<"${res[1]}"
  row "memory per idle relayed connection" "KiB PSS" "-" "$(r1 "$s")" "$(r1 "$o")"
  row "memory of the idle fork relay" "KiB PSS" "-" "$(r0 "$sb")" "$(r0 "$ob")"
  mapfile -t res < <(series rss_once "$RUNS" "$SHARPCAT" "socat")
  row "idle process RSS (fork listener)" "KiB" "-" "$(r0 "${res[0]}")" "$(r0 "${res[1]}")"
}

# ---------------------------------------------------------------- start-up
scen_startup() { # fork+exec+exit of `-V >/dev/null` and of a relay of two empty files, spawned from
  # python (a bash fork costs more than the programs measured); 200 runs interleaved; limit =
  # /bin/true, the cost of exec alone. A run that exits non-zero makes its column FAIL.
  local out l
  : > "$tmp/empty1"; : > "$tmp/empty2"
  out=$(cd "$tmp" && python3 - "$SHARPCAT" <<'PY'
import os, statistics, sys, time
sh = sys.argv[1]
cmds = {"limit": ["/bin/true"], "sharpcat": [sh, "-V"], "socat": ["socat", "-V"],
        "sharpcat2": [sh, "-u", "OPEN:empty1", "OPEN:empty2"], "socat2": ["socat", "-u", "OPEN:empty1", "OPEN:empty2"]}
null = os.open(os.devnull, os.O_WRONLY)
err = os.open("startup.err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
times = {k: [] for k in cmds}; failed = {}
for _ in range(200):
    for k, argv in cmds.items():
        if k in failed: continue
        t0 = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ,
                              file_actions=[(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, err, 2)])
        _, st = os.waitpid(pid, 0)
        times[k].append((time.perf_counter() - t0) * 1000)
        if st != 0: failed[k] = "`%s` (in a temp dir with two empty files) exit status %d" % (" ".join(argv), os.waitstatus_to_exitcode(st))
print(*("FAIL" if k in failed else statistics.median(times[k]) for k in cmds))
for m in failed.values(): print(m)
PY
) || out="FAIL FAIL FAIL FAIL FAIL"
  while IFS= read -r l; do note "start-up: $l: $(head -c 200 "$tmp/startup.err" | tr '\n' ' ')"; done < <(tail -n +2 <<<"$out")
  set -- $(head -n 1 <<<"$out")
  row "start-up of -V (200 runs)" "ms" "$(r2 "$1")" "$(r2 "$2")" "$(r2 "$3")"
  row "start-up, -u OPEN:empty1 OPEN:empty2" "ms" "$(r2 "$1")" "$(r2 "$4")" "$(r2 "$5")"
}

# ---------------------------------------------------------------- faults off
scen_faults() {
  local off=$tmp/sharpcat-faults-off res r i
  # the same binary, with fault options on the listening address that no connection draws
  printf '#!/bin/bash\na=("$@"); for i in "${!a[@]}"; do case ${a[$i]} in TCP-LISTEN:*) a[$i]+=",fault-latency=0.001,fault-probability=0";; esac; done\nexec %q "${a[@]}"\n' "$SHARPCAT" > "$off"
  chmod +x "$off"
  mapfile -t res < <(KIND=tcp WARMUP=1 series xfer "$RUNS" "" "$off" "$SHARPCAT")
  for i in "${!res[@]}"; do r[$i]=$(rate "${res[$i]}"); done
  row "TCP->TCP, faults off vs plain sharpcat" "MiB/s" "${r[0]%% *}" ${r[1]%% *} ${r[2]%% *} ${r[1]#* } ${r[2]#* }
  latency_rows "round trip, faults off vs plain" "$off" "$SHARPCAT"
}

# ---------------------------------------------------------------- WebSocket gateway
# A sharpcat WS-CONNECT client sends SIZE MiB (binary messages of 64 KiB, masked) through a
# WS-LISTEN gateway to a TCP sink, against the same client straight to the sink over TCP (socat has
# no WebSocket, so its column stays empty). $1 = relay prefix, or "" for the direct connection.
ws_once() {
  local relay=$1 p sk rp cl st w0 w1 c0=0 c1=0 cpu=- dst
  read -r p sk < <(h freeport 2)
  socat -u -b 262144 TCP-LISTEN:$sk,reuseaddr,bind=127.0.0.1 OPEN:/dev/null & cl=$!; track "$cl"
  h waitlisten tcp "$sk" 10 || { echo FAIL; note "ws: sink did not listen"; stop "$cl"; return; }
  dst="TCP:127.0.0.1:$sk"
  if [ -n "$relay" ]; then
    # fork keeps the gateway alive after the transfer, so that its CPU can be read
    $relay -u -b 65536 WS-LISTEN:$p,reuseaddr,fork,bind=127.0.0.1${WS_OPTS:-} TCP:127.0.0.1:$sk 2>"$tmp/ws.err" & rp=$!; track "$rp"
    h waitlisten tcp "$p" 10 || { echo FAIL; note "ws: gateway did not listen: $(head -c 200 "$tmp/ws.err")"; stop "$rp $cl"; return; }
    dst="WS-CONNECT:127.0.0.1:$p${WS_OPTS:-}"; c0=$(cpu_ticks "$rp")
  fi
  w0=$EPOCHREALTIME
  timeout "$XFER_T" "$SHARPCAT" -u -b 65536 "${WS_SRC:-OPEN:/dev/zero,readbytes=$BYTES}" "$dst" 2>"$tmp/wsc.err"; st=$?
  bounded_wait "$cl" "$XFER_T"; w1=$EPOCHREALTIME
  if [ -n "$relay" ]; then
    for i in $(seq 100); do [ -z "$(pgrep -P "$rp")" ] && break; sleep 0.05; done
    c1=$(cpu_ticks "$rp"); stop "$rp"
    cpu=$(awk -v c="$((c1 - c0))" -v t="$TICK" 'BEGIN {printf "%.3f", c / t}')
  fi
  if [ "$st" != 0 ] || [ "$BW_RC" != 0 ]; then
    echo FAIL; note "ws via $(label "${relay:-no relay}"): client exit $st, sink exit $BW_RC: $(head -c 200 "$tmp/wsc.err") $(head -c 200 "$tmp/ws.err" 2>/dev/null)"; return
  fi
  awk -v a="$w0" -v b="$w1" -v c="$cpu" 'BEGIN {printf "%.6f %s\n", b - a, c}'
}
scen_ws() {
  local res r i
  mapfile -t res < <(WARMUP=1 series ws_once "$RUNS" "" "$SHARPCAT")
  for i in "${!res[@]}"; do r[$i]=$(rate "${res[$i]}"); done
  row "WebSocket gateway (WS client -> TCP)" "MiB/s" "${r[0]%% *}" ${r[1]%% *} "-" ${r[1]#* } "-"
  # messages: WS_MSGS lines of 64 bytes, each line one message (ws-lines on both WebSocket ends);
  # the limit is the same lines over TCP straight to the sink
  local n=${WS_MSGS:-200000} m
  python3 -c "import sys; sys.stdout.write(('x' * 63 + '\\n') * $n)" > "$tmp/lines"
  mapfile -t res < <(WS_SRC="OPEN:$tmp/lines" WS_OPTS=",ws-lines" WARMUP=1 series ws_once "$RUNS" "" "$SHARPCAT")
  for i in "${!res[@]}"; do read -r w c <<<"${res[$i]}"; m[$i]=$(isnum "$w" && awk -v w="$w" -v n="$n" 'BEGIN {printf "%.0f", n / w}' || echo "$w"); done
  row "WebSocket messages, 64 B lines ($n)" "msg/s" "${m[0]}" "${m[1]}" "-"
}

# ---------------------------------------------------------------- main
want() { [[ " $ONLY " == *" $1 "* ]]; }
echo "SharpCat vs socat, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, ${SIZE_MIB} MiB per transfer, median of $RUNS runs"
echo "$(socat -V | sed -n 2p); sharpcat: $SHARPCAT_SRC (built $(stat -c %y "$SHARPCAT_SRC" | cut -d. -f1), sha256 $(sha256sum "$SHARPCAT" | cut -c1-12))"
echo "ratio = sharpcat / socat (higher is better for MiB/s and conn/s, lower for us, KiB, ms and CPU);"
echo "limit = the same work without a relay; CPU = relay user+sys: s per GiB (MiB/s rows), ms per 1000 connections (conn/s), ms per 100k datagrams (dgram/s)"
printf "$FMT" "scenario" "metric" "limit" "sharpcat" "socat" "ratio" "sh CPU" "so CPU" "CPU x"
start=$SECONDS
want stdio   && scen_stdio
want files   && scen_files
want tcp     && scen_bulk tcp "TCP->TCP"
want unix    && scen_bulk unix "UNIX->UNIX"
want conn    && scen_conn
want latency && scen_latency
want memory  && scen_memory
want udp     && scen_udp
want tls     && scen_tls
want ws      && scen_ws
want startup && scen_startup
want faults  && scen_faults
echo "($((SECONDS - start)) s)"
if [ -s "$NOTES" ]; then
  echo; echo "Notes:"
  sed 's/^/- /' "$NOTES"
fi
