#!/usr/bin/env node
// Loopback MongoDB replica-set peers for plprobe's tests.
//
//   node peer.js CONFIG.json
//
// Starts one server per configured member on 127.0.0.1 (port 0 unless the
// member names one), prints ONE line of JSON on stdout once every member
// listens:
//   {"ready":true,"members":[{"name":"m1","host":"m1.rs.test","port":40001,"kind":"modern","tls":false}],
//    "hosts":["m1.rs.test:40001",...]}
// and serves until SIGTERM/SIGINT, until its stdin pipe closes (when stdin
// is a pipe), or after config.max_seconds (default 600) as a safety net.
//
// Two kinds of member:
//   "legacy"  mongodb-mock-server 2.0.1 (MongoDB's driver team's mock): it
//             speaks only legacy OP_QUERY/OP_REPLY and drops OP_MSG without a
//             word, exactly as a MongoDB server older than 3.6 does. It
//             answers isMaster with the replica-set document below.
//   "modern"  this file's own OP_MSG server (BSON by MongoDB's js-bson): OP_MSG
//             for every command, OP_QUERY for the handshake only (as MongoDB
//             5.1+), hello/isMaster, ping, saslStart/saslContinue (SCRAM-SHA-1
//             and SCRAM-SHA-256, RFC 5802/7677), connectionStatus,
//             replSetGetStatus, listDatabases, listCollections (local.oplog.rs),
//             serverStatus (oplogTruncation), buildInfo; anything else gets
//             CommandNotFound. selfcheck.js proves it against MongoDB's
//             official Node.js driver.
//
// Config (all optional but members):
//   set_name: "rs0" | null (null: standalone; "uninitiated": isreplicaset)
//   max_wire_version: 21 (per member too)
//   tls: {cert: PATH, key: PATH}     used by members with tls: true
//   members: [{name, host, kind: "modern"|"legacy", role: "primary"|"secondary"|
//              "passive"|"arbiter", tls, port, knows_hello (default true),
//              checksum (OP_MSG CRC-32C on replies), me (override),
//              set_name (override), max_wire_version}]
//   extra_hosts: ["gone.rs.test:27017"]  advertised in hosts, served by no one
//   users: [{user, password, db: "admin", mechanisms: [...], roles: [...]}]
//   oplog_min_retention_hours: 72 | null (null: not set)
//   scram_iterations: {"SCRAM-SHA-1": 10000, "SCRAM-SHA-256": 15000}
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const path = require('path');
const tls = require('tls');

const BSON = require('bson');

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const MAX_MESSAGE = 48000000;

// ---- helpers ---------------------------------------------------------------

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

function crc32c(buffer) {
  let crc = 0xffffffff;
  for (const byte of buffer) crc = CRC32C_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function header(length, requestId, responseTo, opCode) {
  const out = Buffer.alloc(16);
  out.writeInt32LE(length, 0);
  out.writeInt32LE(requestId, 4);
  out.writeInt32LE(responseTo, 8);
  out.writeInt32LE(opCode, 12);
  return out;
}

function opMsgReply(responseTo, document, withChecksum) {
  const body = BSON.serialize(document);
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(withChecksum ? 1 : 0, 0);
  const length = 16 + 4 + 1 + body.length + (withChecksum ? 4 : 0);
  const parts = [header(length, nextId(), responseTo, OP_MSG), flags, Buffer.from([0]), body];
  if (withChecksum) {
    const sum = Buffer.alloc(4);
    sum.writeUInt32LE(crc32c(Buffer.concat(parts)), 0);
    parts.push(sum);
  }
  return Buffer.concat(parts);
}

function opReply(responseTo, document) {
  const body = BSON.serialize(document);
  const fixed = Buffer.alloc(20);
  fixed.writeInt32LE(0, 0);            // responseFlags
  fixed.writeBigInt64LE(0n, 4);        // cursorID
  fixed.writeInt32LE(0, 12);           // startingFrom
  fixed.writeInt32LE(1, 16);           // numberReturned
  return Buffer.concat([header(16 + 20 + body.length, nextId(), responseTo, OP_REPLY), fixed, body]);
}

let lastId = 1000;
function nextId() {
  lastId = (lastId + 1) % 0x7fffffff;
  return lastId;
}

function commandError(code, codeName, errmsg) {
  return {ok: 0, errmsg, code, codeName};
}

function hostPort(host, port) {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

// ---- SCRAM server (RFC 5802 §3, §5; RFC 7677) ------------------------------

function scramHash(mechanism) {
  return mechanism === 'SCRAM-SHA-1' ? 'sha1' : 'sha256';
}

function mongoPassword(mechanism, user, password) {
  // MongoDB drivers' rule for SCRAM-SHA-1: hex(MD5(user ":mongo:" password)).
  if (mechanism === 'SCRAM-SHA-1') return crypto.createHash('md5').update(`${user}:mongo:${password}`).digest('hex');
  return password;  // SASLprep is the identity for the ASCII passwords tests use
}

function attribute(message, key) {
  for (const item of message.split(',')) if (item.startsWith(key + '=')) return item.slice(2);
  return null;
}

function unescapeName(name) {
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

class ScramConversation {
  constructor(config, mechanism, db, clientFirst) {
    this.mechanism = mechanism;
    this.hash = scramHash(mechanism);
    if (!clientFirst.startsWith('n,,')) throw new Error('unsupported gs2 header');
    this.clientFirstBare = clientFirst.slice(3);
    this.user = unescapeName(attribute(this.clientFirstBare, 'n') || '');
    const clientNonce = attribute(this.clientFirstBare, 'r') || '';
    this.account = (config.users || []).find(u => u.user === this.user && (u.db || 'admin') === db) || null;
    this.db = db;
    // Unknown users still get a salt (as MongoDB does, so user names cannot be probed); they fail at the proof.
    this.salt = this.account ? crypto.createHash('sha256').update(`salt:${this.user}:${mechanism}`).digest().subarray(0, 16)
                             : crypto.randomBytes(16);
    this.iterations = ((config.scram_iterations || {})[mechanism]) || (mechanism === 'SCRAM-SHA-1' ? 10000 : 15000);
    this.nonce = clientNonce + crypto.randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.salt.toString('base64')},i=${this.iterations}`;
    this.step = 1;
  }

  verify(clientFinal) {
    const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
    const proof = Buffer.from(attribute(clientFinal, 'p') || '', 'base64');
    if (attribute(clientFinal, 'r') !== this.nonce || attribute(clientFinal, 'c') !== 'biws' || !this.account) return null;
    const password = mongoPassword(this.mechanism, this.user, this.account.password);
    const keyLength = this.hash === 'sha1' ? 20 : 32;
    const salted = crypto.pbkdf2Sync(password, this.salt, this.iterations, keyLength, this.hash);
    const hmac = (key, data) => crypto.createHmac(this.hash, key).update(data).digest();
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = crypto.createHash(this.hash).update(clientKey).digest();
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(storedKey, authMessage);
    if (proof.length !== clientSignature.length) return null;
    const recovered = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) recovered[i] = proof[i] ^ clientSignature[i];
    if (!crypto.timingSafeEqual(crypto.createHash(this.hash).update(recovered).digest(), storedKey)) return null;
    return 'v=' + hmac(hmac(salted, 'Server Key'), authMessage).toString('base64');
  }
}

// ---- one member ------------------------------------------------------------

class Member {
  constructor(config, spec, world) {
    this.config = config;
    this.spec = spec;
    this.world = world;
    this.port = 0;
    this.connections = 0;
  }

  setName() {
    if (this.spec.set_name !== undefined) return this.spec.set_name;
    return this.config.set_name === undefined ? 'rs0' : this.config.set_name;
  }

  maxWire() {
    return this.spec.max_wire_version ?? this.config.max_wire_version ?? (this.spec.kind === 'legacy' ? 5 : 21);
  }

  helloDocument(command, request) {
    const role = this.spec.role || 'secondary';
    const setName = this.setName();
    const doc = {};
    const primaryFlag = setName ? role === 'primary' : true;
    if (command === 'hello') doc.isWritablePrimary = primaryFlag; else doc.ismaster = primaryFlag;
    if (request && request.helloOk) doc.helloOk = true;
    if (setName && setName !== 'uninitiated') {
      doc.hosts = this.world.hosts;
      if (this.world.passives.length) doc.passives = this.world.passives;
      if (this.world.arbiters.length) doc.arbiters = this.world.arbiters;
      doc.setName = setName;
      doc.setVersion = 1;
      doc.secondary = role === 'secondary' || role === 'passive';
      if (role === 'arbiter') doc.arbiterOnly = true;
      if (role === 'passive') doc.passive = true;
      if (this.world.primary) doc.primary = this.world.primary;
      doc.me = this.spec.me || hostPort(this.spec.host, this.port);
    } else if (setName === 'uninitiated') {
      doc.isreplicaset = true;
      doc.secondary = false;
    }
    Object.assign(doc, {
      maxBsonObjectSize: 16777216,
      maxMessageSizeBytes: MAX_MESSAGE,
      maxWriteBatchSize: 100000,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: ++this.world.connectionIds,
      minWireVersion: 0,
      maxWireVersion: this.maxWire(),
      readOnly: false,
    });
    if (request && typeof request.saslSupportedMechs === 'string') {
      const [db, ...rest] = request.saslSupportedMechs.split('.');
      const user = rest.join('.');
      const account = (this.config.users || []).find(u => u.user === user && (u.db || 'admin') === db);
      if (account) doc.saslSupportedMechs = account.mechanisms || ['SCRAM-SHA-1', 'SCRAM-SHA-256'];
    }
    doc.ok = 1;
    return doc;
  }

  // ---- modern server: commands ----
  command(session, doc, db) {
    const name = Object.keys(doc)[0];
    const lower = name.toLowerCase();
    if (lower === 'hello' && this.spec.knows_hello === false) {
      return commandError(59, 'CommandNotFound', `no such command: '${name}'`);
    }
    if (lower === 'hello' || lower === 'ismaster') return this.helloDocument(name === 'hello' ? 'hello' : 'isMaster', doc);
    if (lower === 'ping') return {ok: 1};
    if (lower === 'buildinfo') return {version: '7.0.0-plprobe-peer', ok: 1};
    if (lower === 'saslstart') return this.saslStart(session, doc, db);
    if (lower === 'saslcontinue') return this.saslContinue(session, doc);
    if (lower === 'endsessions') return {ok: 1};
    const authRequired = (this.config.users || []).length > 0;
    const roles = session.account ? session.account.roles || [] : [];
    const has = role => roles.includes(role) || roles.includes('root');
    const unauthorized = what => commandError(13, 'Unauthorized', `not authorized on ${db} to execute command { ${what} }`);
    if (lower === 'connectionstatus') {
      return {authInfo: {authenticatedUsers: session.account ? [{user: session.account.user, db: session.db}] : [],
                         authenticatedUserRoles: roles.map(role => ({role, db: 'admin'}))}, ok: 1};
    }
    if (authRequired && !session.account) return commandError(13, 'Unauthorized', `command ${name} requires authentication`);
    const setName = this.setName();
    const replicating = setName && setName !== 'uninitiated';
    if (lower === 'replsetgetstatus') {
      if (authRequired && !has('clusterMonitor')) return unauthorized('replSetGetStatus: 1');
      if (!setName) return commandError(76, 'NoReplicationEnabled', 'not running with --replSet');
      if (!replicating) return commandError(94, 'NotYetInitialized', 'no replset config has been received');
      const members = this.world.members.filter(m => m.spec.role !== undefined || true).map((m, i) => ({
        _id: i, name: hostPort(m.spec.host, m.port), health: 1,
        stateStr: (m.spec.role || 'secondary') === 'primary' ? 'PRIMARY' : (m.spec.role === 'arbiter' ? 'ARBITER' : 'SECONDARY'),
        self: m === this,
      }));
      return {set: setName, myState: (this.spec.role || 'secondary') === 'primary' ? 1 : 2, members, ok: 1};
    }
    if (lower === 'listdatabases') {
      if (authRequired && doc.authorizedDatabases === false && !has('readAnyDatabase')) return unauthorized('listDatabases: 1');
      return {databases: [{name: 'admin'}, {name: 'local'}, {name: 'app'}], ok: 1};
    }
    if (lower === 'listcollections') {
      if (db !== 'local') return {cursor: {id: 0n, ns: `${db}.$cmd.listCollections`, firstBatch: []}, ok: 1};
      const oplog = replicating ? [{name: 'oplog.rs', type: 'collection'}] : [];
      if (authRequired && !has('clusterMonitor')) {
        if (doc.authorizedCollections !== true) return unauthorized('listCollections: 1');
        return {cursor: {id: 0n, ns: 'local.$cmd.listCollections', firstBatch: []}, ok: 1};
      }
      return {cursor: {id: 0n, ns: 'local.$cmd.listCollections', firstBatch: oplog}, ok: 1};
    }
    if (lower === 'serverstatus') {
      if (authRequired && !has('clusterMonitor')) return unauthorized('serverStatus: 1');
      const out = {host: hostPort(this.spec.host, this.port), version: '7.0.0-plprobe-peer', uptime: 1, ok: 1};
      if (replicating) {
        out.oplogTruncation = {totalTimeProcessingMicros: 0, processingMethod: 'scanning'};
        const hours = this.config.oplog_min_retention_hours;
        if (hours !== null && hours !== undefined) out.oplogTruncation.oplogMinRetentionHours = hours;
      }
      return out;
    }
    return commandError(59, 'CommandNotFound', `no such command: '${name}'`);
  }

  saslStart(session, doc, db) {
    const mechanism = doc.mechanism;
    if (mechanism !== 'SCRAM-SHA-1' && mechanism !== 'SCRAM-SHA-256') {
      return commandError(2, 'BadValue', `Received authentication for mechanism ${mechanism} which is unknown or not enabled`);
    }
    let conversation;
    try {
      conversation = new ScramConversation(this.config, mechanism, db, Buffer.from(doc.payload.buffer).toString());
    } catch (error) {
      return commandError(17, 'ProtocolError', String(error.message));
    }
    if (conversation.account && conversation.account.mechanisms && !conversation.account.mechanisms.includes(mechanism)) {
      return commandError(334, 'MechanismUnavailable', `Unable to use ${mechanism} based authentication for user without any ${mechanism} credentials registered`);
    }
    session.conversation = conversation;
    session.skipEmptyExchange = !!(doc.options && doc.options.skipEmptyExchange);
    return {conversationId: 1, done: false, payload: new BSON.Binary(Buffer.from(conversation.serverFirst)), ok: 1};
  }

  saslContinue(session, doc) {
    const conversation = session.conversation;
    if (!conversation) return commandError(17, 'ProtocolError', 'No SASL session state found');
    const payload = Buffer.from(doc.payload.buffer).toString();
    if (conversation.step === 2) {
      session.conversation = null;
      return {conversationId: 1, done: true, payload: new BSON.Binary(Buffer.alloc(0)), ok: 1};
    }
    const signature = conversation.verify(payload);
    if (!signature) {
      session.conversation = null;
      return commandError(18, 'AuthenticationFailed', 'Authentication failed.');
    }
    session.account = conversation.account;
    session.db = conversation.db;
    conversation.step = 2;
    const done = session.skipEmptyExchange;
    if (done) session.conversation = null;
    return {conversationId: 1, done, payload: new BSON.Binary(Buffer.from(signature)), ok: 1};
  }

  // ---- modern server: framing (MongoDB Wire Protocol, "OP_MSG", "OP_QUERY") ----
  serveModern(socket) {
    const session = {account: null, conversation: null};
    let pending = Buffer.alloc(0);
    socket.on('data', chunk => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const length = pending.readInt32LE(0);
        if (length < 16 || length > MAX_MESSAGE) {  // what mongod does with a bad length: close
          socket.destroy();
          return;
        }
        if (pending.length < length) return;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        try {
          this.handleModern(socket, session, message);
        } catch (error) {
          socket.destroy();
          return;
        }
      }
    });
  }

  handleModern(socket, session, message) {
    const requestId = message.readInt32LE(4);
    const opCode = message.readInt32LE(12);
    if (opCode === OP_MSG) {
      let at = 20;
      let body = null;
      while (at < message.length) {
        const kind = message[at++];
        if (kind === 0) {
          const size = message.readInt32LE(at);
          body = BSON.deserialize(message.subarray(at, at + size), {promoteBuffers: false});
          at += size;
        } else if (kind === 1) {
          at += message.readInt32LE(at);
        } else {
          throw new Error('bad section');
        }
      }
      const db = body.$db || 'admin';
      delete body.$db;
      socket.write(opMsgReply(requestId, this.command(session, body, db), !!this.spec.checksum));
    } else if (opCode === OP_QUERY) {
      let at = 20;
      const end = message.indexOf(0, at);
      const namespace = message.toString('utf8', at, end);
      at = end + 1 + 8;
      const size = message.readInt32LE(at);
      const query = BSON.deserialize(message.subarray(at, at + size));
      const name = (Object.keys(query)[0] || '').toLowerCase();
      const db = namespace.split('.')[0];
      // MongoDB 5.1+ keeps OP_QUERY for the handshake only.
      const reply = name === 'ismaster' || name === 'hello'
        ? this.command(session, query, db)
        : commandError(352, 'UnsupportedOpQueryCommand', `Unsupported OP_QUERY command: ${name}`);
      socket.write(opReply(requestId, reply));
    } else {
      throw new Error(`unsupported opcode ${opCode}`);
    }
  }

  async start() {
    const useTls = !!this.spec.tls;
    const tlsOptions = useTls ? {cert: fs.readFileSync(this.config.tls.cert), key: fs.readFileSync(this.config.tls.key)} : null;
    if (this.spec.kind === 'legacy') {
      const MockServer = loadMockServer();
      const options = useTls ? Object.assign({tls: true}, tlsOptions) : {};
      this.mock = new MockServer(this.spec.port || 0, '127.0.0.1', options);
      await this.mock.start();
      this.mock.on('parseError', () => {});  // its answer to OP_MSG: nothing at all
      this.mock.setMessageHandler(request => {
        const doc = request.document || {};
        const name = (Object.keys(doc)[0] || '').toLowerCase();
        if (name === 'ismaster' || name === 'hello') {
          request.reply(this.helloDocument('isMaster', doc));
        } else {
          request.reply({ok: 0, errmsg: `no such cmd: ${name}`});
        }
      });
      this.port = this.mock.port;
      return;
    }
    const onSocket = socket => {
      socket.on('error', () => {});
      this.connections++;
      this.serveModern(socket);
    };
    this.server = useTls ? tls.createServer(tlsOptions, onSocket) : net.createServer(onSocket);
    this.server.on('tlsClientError', () => {});
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.spec.port || 0, '127.0.0.1', resolve);
    });
    this.port = this.server.address().port;
  }

  stop() {
    if (this.mock) this.mock.destroy().catch(() => {});
    if (this.server) this.server.close();
  }
}

// mongodb-mock-server requires the native `snappy` module at load time for
// OP_COMPRESSED, which these tests never use; `npm ci --ignore-scripts` does
// not build it. A stand-in that refuses to compress is put in require's
// cache for the mock's own copy, so snappy never has to be built.
function loadMockServer() {
  const mockDir = path.dirname(require.resolve('mongodb-mock-server/package.json'));
  const snappyPath = require.resolve('snappy', {paths: [mockDir]});
  if (!require.cache[snappyPath]) {
    const refuse = () => { throw new Error('snappy is not available in the plprobe test peer'); };
    require.cache[snappyPath] = {id: snappyPath, filename: snappyPath, loaded: true,
                                 exports: {compressSync: refuse, uncompressSync: refuse, compress: refuse, uncompress: refuse}};
  }
  return require(path.join(mockDir, 'lib', 'server.js'));
}

// ---- main ------------------------------------------------------------------

async function main() {
  const configPath = process.argv[2];
  if (!configPath) {
    process.stderr.write('usage: node peer.js CONFIG.json\n');
    process.exit(2);
  }
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const world = {members: [], hosts: [], passives: [], arbiters: [], primary: null, connectionIds: 0};
  for (const spec of config.members || []) {
    spec.host = spec.host || '127.0.0.1';
    world.members.push(new Member(config, spec, world));
  }
  await Promise.all(world.members.map(member => member.start()));
  for (const member of world.members) {
    const advertised = hostPort(member.spec.host, member.port);
    const role = member.spec.role || 'secondary';
    if (role === 'passive') world.passives.push(advertised);
    else if (role === 'arbiter') world.arbiters.push(advertised);
    else world.hosts.push(advertised);
    if (role === 'primary') world.primary = advertised;
  }
  world.hosts.push(...(config.extra_hosts || []));

  const stop = () => {
    for (const member of world.members) member.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    if (fs.fstatSync(0).isFIFO() || fs.fstatSync(0).isSocket()) {
      process.stdin.on('end', stop);
      process.stdin.on('close', stop);
      process.stdin.resume();
    }
  } catch (error) { /* no stdin at all: signals and max_seconds still stop it */ }
  setTimeout(stop, 1000 * (config.max_seconds || 600)).unref();
  // Keep the process alive even when no server holds the loop.
  setInterval(() => {}, 1 << 30);

  process.stdout.write(JSON.stringify({
    ready: true,
    members: world.members.map(m => ({name: m.spec.name, host: m.spec.host, port: m.port, kind: m.spec.kind || 'modern',
                                      tls: !!m.spec.tls, role: m.spec.role || 'secondary'})),
    hosts: world.hosts,
  }) + '\n');
}

main().catch(error => {
  process.stderr.write(`peer.js: ${error.stack || error}\n`);
  process.exit(1);
});
