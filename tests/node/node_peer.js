// A peer on node's `ws` package for the SharpCat tests (loopback only); the modes are py_peer.py's:
//   client-echo URL FILE | server-sink OUT | server-source FILE | client-sink URL OUT
// Each prints one "close CODE REASON" line and exits 0, or prints the error and exits 1.
'use strict';
const fs = require('fs');
const WebSocket = require('ws');

const CHUNK = 64 * 1024;
const [mode, ...args] = process.argv.slice(2);
const fail = (e) => { console.log(`error: ${e && e.message ? e.message : e}`); process.exit(1); };
setTimeout(() => fail('no end within 120 s'), 120000).unref();

function sendAll(ws, data, then) {
  let at = 0;
  const next = () => {
    // Bounded: wait for the socket to drain rather than queueing 64 MiB at once.
    while (at < data.length && ws.bufferedAmount < 4 * CHUNK) {
      ws.send(data.subarray(at, at + CHUNK));
      at += CHUNK;
    }
    if (at < data.length) setTimeout(next, 1); else then();
  };
  next();
}

function sink(ws, out, onClose) {
  const file = fs.openSync(out, 'w');
  ws.on('message', (m) => fs.writeSync(file, Buffer.isBuffer(m) ? m : Buffer.from(m)));
  ws.on('close', (code, reason) => { fs.closeSync(file); onClose(code, reason); });
}

const report = (code, reason) => console.log(`close ${code} ${reason}`);

function serve(onConnection) {
  const server = new WebSocket.Server({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  server.on('listening', () => console.log(`port ${server.address().port}`));
  server.on('connection', (ws) => {
    ws.on('error', fail);
    onConnection(ws, (code, reason) => { report(code, reason); server.close(); });
  });
}

if (mode === 'client-echo') {
  const data = fs.readFileSync(args[1]);
  const ws = new WebSocket(args[0], { perMessageDeflate: false });
  const got = [];
  let length = 0;
  ws.on('error', fail);
  ws.on('open', () => sendAll(ws, data, () => {}));
  ws.on('message', (m) => {
    got.push(m);
    length += m.length;
    if (length >= data.length) {
      if (!Buffer.concat(got).equals(data)) fail('echo differs from what was sent');
      console.log(`echoed ${length}`);
      ws.close(1000, 'all echoed');
    }
  });
  ws.on('close', (code, reason) => report(code, reason));
} else if (mode === 'server-sink') {
  serve((ws, done) => sink(ws, args[0], done));
} else if (mode === 'server-source') {
  const data = fs.readFileSync(args[0]);
  serve((ws, done) => {
    ws.on('close', done);
    sendAll(ws, data, () => ws.close(1000, 'all sent'));
  });
} else if (mode === 'client-sink') {
  const ws = new WebSocket(args[0], { perMessageDeflate: false });
  ws.on('error', fail);
  sink(ws, args[1], report);
} else {
  fail(`unknown mode ${mode}`);
}
