// Health check of the `mongo` service, and the step that makes it a replica set.
//
// Run by the compose health check every few seconds: `mongosh --quiet --file <this file>`.
// The first run on a fresh volume initiates a single-node replica set; every run exits non-zero
// until this node is the writable primary, so `service_healthy` means "ready for writes".
// The member is announced as MONGO_REPLICA_SET_HOST (default mongo:27017): the name the
// services resolve on the compose network, and the one drivers use after discovery.

const replicaSet = process.env.MONGO_REPLICA_SET_NAME || "rs0";
const host = process.env.MONGO_REPLICA_SET_HOST || "mongo:27017";

try {
  rs.status();
} catch (error) {
  if (error.codeName !== "NotYetInitialized") {
    throw error;
  }
  print(`initiating replica set ${replicaSet} with member ${host}`);
  rs.initiate({ _id: replicaSet, members: [{ _id: 0, host: host }] });
}

const hello = db.adminCommand({ hello: 1 });
if (hello.setName !== replicaSet || !hello.isWritablePrimary) {
  print(`not yet the primary of ${replicaSet}`);
  quit(1);
}
