# workerd for the runtime matrix: one ES module worker (the check bundled from
# dist/ by test/runtimes.test.ts) behind an HTTP socket on loopback. Port 0:
# the test reads the port workerd picked from its control fd.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "check", worker = .checkWorker)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "check")],
);

# No nodejs_compat flag: the library must need nothing but web APIs here.
const checkWorker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "../../.tmp/runtimes/worker.mjs")],
  compatibilityDate = "2025-06-01",
);
