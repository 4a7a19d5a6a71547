// toxiproxy's Node client (npm toxiproxy-node-client) against sharpcat --control: the calls its
// README documents and the cases of its own test suite (which is not in the npm package), plus
// what the toxics do on the wire. Run by ToxiproxyClientTests with `node --test`:
//   TOXIPROXY_URL  the control API (http://127.0.0.1:PORT)
//   ECHO_PORT      a TCP echo server on 127.0.0.1 the proxies forward to
import { test, before } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Toxiproxy } from "toxiproxy-node-client";

const url = process.env.TOXIPROXY_URL;
const echo = `127.0.0.1:${process.env.ECHO_PORT}`;
const toxiproxy = new Toxiproxy(url);

const createProxy = (name, upstream = echo) => toxiproxy.createProxy({ listen: "localhost:0", name, upstream });

async function removeAllProxies() {
  const proxies = await toxiproxy.getAll();
  for (const name of Object.keys(proxies)) await proxies[name].remove();
}

// One request through the proxy: the milliseconds until the echo comes back whole.
function roundTrip(listen, payload = "ping\n") {
  const [host, port] = [listen.slice(0, listen.lastIndexOf(":")), Number(listen.slice(listen.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let got = "";
    const socket = net.connect({ host, port }, () => socket.write(payload));
    socket.setTimeout(10000, () => { socket.destroy(); reject(new Error("no echo within 10 s")); });
    socket.on("data", (d) => {
      got += d;
      if (got.length >= payload.length) {
        const ms = performance.now() - started;
        socket.destroy();
        assert.equal(got, payload);
        resolve(ms);
      }
    });
    socket.on("error", reject);
  });
}

before(removeAllProxies);

test("creates a proxy, and gets it by name", async () => {
  const created = await createProxy("get-test");
  const fetched = await toxiproxy.get(created.name);
  assert.equal(fetched.name, created.name);
  assert.match(fetched.listen, /^127\.0\.0\.1:\d+$/);
  assert.equal(fetched.enabled, true);
  await created.remove();
});

test("gets the version", async () => {
  const version = await toxiproxy.getVersion();
  assert.match(String(version), /2\.\d+\.\d+/);
});

test("resets", async () => {
  await toxiproxy.reset();
});

test("populates, and lists what it made", async () => {
  const one = { listen: "127.0.0.1:0", name: "populate-1", upstream: echo };
  const two = { listen: "127.0.0.1:0", name: "populate-2", upstream: "localhost:12345" };
  const proxies = await toxiproxy.populate([one, two]);
  assert.deepEqual(Object.keys(proxies).sort(), ["populate-1", "populate-2"]);
  const all = await toxiproxy.getAll();
  assert.equal(all["populate-2"].upstream, "localhost:12345");
  await Promise.all(Object.values(proxies).map((p) => p.remove()));
});

test("updates a proxy: disabled it refuses connections, enabled again it relays", async () => {
  const proxy = await createProxy("update-proxy-test");
  const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
  assert.equal(disabled.enabled, false);
  await assert.rejects(roundTrip(proxy.listen), /ECONNREFUSED/);
  const enabled = await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
  assert.equal(enabled.enabled, true);
  assert.ok((await roundTrip(enabled.listen)) < 5000);
  await proxy.remove();
});

test("the same proxy twice is a 409", async () => {
  const proxy = await createProxy("duplicate");
  await assert.rejects(createProxy("duplicate"), { message: "Request failed with status code 409" });
  await proxy.remove();
});

test("toxics: create, read, update, delete", async () => {
  const proxy = await createProxy("toxic-crud-test");
  const toxic = await proxy.addToxic({ type: "latency", attributes: { latency: 1000, jitter: 100 } });
  assert.equal(toxic.name, "latency_downstream");
  assert.equal(toxic.toxicity, 1);
  assert.equal(toxic.attributes.latency, 1000);
  assert.equal(toxic.attributes.jitter, 100);
  const fetched = await proxy.getToxic(toxic.name);
  assert.equal(fetched.type, "latency");
  assert.equal(fetched.stream, "downstream");
  const updated = await toxic.update({ attributes: { latency: 12345, jitter: 42 } });
  assert.equal(updated.attributes.latency, 12345);
  assert.equal(updated.attributes.jitter, 42);
  await toxic.remove();
  await assert.rejects(proxy.getToxic(toxic.name), { message: "Request failed with status code 404" });
  await assert.rejects(proxy.addToxic({ type: "no-such-toxic" }), { message: "Request failed with status code 400" });
  await proxy.remove();
});

test("the same toxic twice is a 409", async () => {
  const proxy = await createProxy("duplicate-toxic-test");
  await proxy.addToxic({ type: "latency", attributes: { latency: 10 } });
  await assert.rejects(proxy.addToxic({ type: "latency", attributes: { latency: 10 } }), { message: "Request failed with status code 409" });
  await proxy.remove();
});

test("every toxic type of the client is accepted with its attributes", async () => {
  const proxy = await createProxy("toxic-types-test");
  const cases = [
    ["latency", { latency: 1000, jitter: 100 }],
    ["bandwidth", { rate: 1000 }],
    ["slow_close", { delay: 1000 }],
    ["timeout", { timeout: 5000 }],
    ["slicer", { average_size: 1000, delay: 1000, size_variation: 1000 }],
    ["reset_peer", { timeout: 1000 }],
    ["limit_data", { bytes: 42 }],
  ];
  for (const [type, attributes] of cases) {
    const toxic = await proxy.addToxic({ type, attributes });
    assert.deepEqual({ ...toxic.attributes }, attributes, type);
    await toxic.remove();
  }
  await proxy.remove();
});

test("a latency toxic delays the echo on the wire, and removing it takes the delay away", async () => {
  const proxy = await createProxy("latency-on-the-wire");
  const before = await roundTrip(proxy.listen);
  const toxic = await proxy.addToxic({ type: "latency", attributes: { latency: 400, jitter: 0 } });
  const slow = await roundTrip(proxy.listen);
  await toxic.remove();
  const after = await roundTrip(proxy.listen);
  assert.ok(slow >= 400, `with the toxic the echo took ${slow} ms`);
  assert.ok(before < 300 && after < 300, `without it: ${before} ms before, ${after} ms after`);
  await proxy.remove();
});
