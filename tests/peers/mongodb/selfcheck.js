#!/usr/bin/env node
// Checks peer.js against MongoDB's official Node.js driver (npm "mongodb"),
// so the peer the C++ tests trust is itself tested by an independent client:
//
//   node selfcheck.js HOST:PORT [USER PASSWORD MECHANISM]
//
// Connects directly (directConnection: no topology walk, no DNS), runs hello,
// and with credentials logs in with MECHANISM (SCRAM-SHA-1 or SCRAM-SHA-256)
// and runs ping and replSetGetStatus. Prints one JSON line; exit 0 on success.
'use strict';
const {MongoClient} = require('mongodb');

async function main() {
  const [address, user, password, mechanism] = process.argv.slice(2);
  const auth = user ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}@` : '';
  const options = user ? `&authSource=admin&authMechanism=${mechanism}` : '';
  const client = new MongoClient(`mongodb://${auth}${address}/?directConnection=true&serverSelectionTimeoutMS=3000${options}`,
                                 {monitorCommands: false});
  const out = {};
  try {
    await client.connect();
    const admin = client.db('admin');
    const hello = await admin.command({hello: 1});
    out.hello = {setName: hello.setName || null, maxWireVersion: hello.maxWireVersion, hosts: hello.hosts || []};
    if (user) {
      out.ping = (await admin.command({ping: 1})).ok;
      out.replSetGetStatus = (await admin.command({replSetGetStatus: 1})).set;
    }
    out.ok = true;
  } catch (error) {
    out.ok = false;
    out.error = String(error.message || error);
  } finally {
    await client.close().catch(() => {});
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(out.ok ? 0 : 1);
}
main();
