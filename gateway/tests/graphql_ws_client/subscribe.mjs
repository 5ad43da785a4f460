// The graphql-ws npm client, unchanged, against the gateway: node subscribe.mjs '<json>'
// with {url, token, subscriptions: {<name>: {query, variables}}, count, seconds}. Prints one
// JSON line per event ({"connected"}, {"next", "name", "payload"}, {"error"}, {"closed"}) and
// exits after `count` next messages, or after `seconds` (exit code 1).
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const config = JSON.parse(process.argv[2]);
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
let received = 0;

const client = createClient({
  url: config.url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${config.token}` },
  retryAttempts: 0,
  lazy: false,
  on: {
    connected: () => print({ connected: true }),
    closed: (event) => print({ closed: event.code, reason: event.reason }),
  },
});

const done = (code) => {
  client.dispose();
  setTimeout(() => process.exit(code), 50);
};
setTimeout(() => done(1), config.seconds * 1000);

for (const [name, { query, variables }] of Object.entries(config.subscriptions)) {
  client.subscribe(
    { query, variables },
    {
      next: (payload) => {
        print({ next: true, name, payload });
        received += 1;
        if (received >= config.count) done(0);
      },
      error: (error) => print({ error: String(error?.message ?? error?.code ?? error), name }),
      complete: () => print({ complete: true, name }),
    },
  );
}
